package container_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// A trailer that a recipient must not take from a trailer (framing,
// routing, authentication, connection fields: RFC 9110 §6.5.1) is not
// sent, on any protocol, as net/http's server does not send it; the
// others are.
func TestForbiddenTrailersNotSent(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/t", func(w api.Response, r *api.Request) error {
			tr := w.Trailer()
			for _, k := range []string{"X-Sum", "Content-Length", "Set-Cookie", "Connection", "Content-Type", "Trailer", "Host", "Www-Authenticate", "Proxy-Authenticate"} {
				tr.Set(k, "")
			}
			tr["transfer-encoding"] = nil // a key not canonical
			if _, err := w.WriteString("body"); err != nil {
				return err
			}
			tr.Set("X-Sum", "42")
			tr.Set("Content-Length", "99")
			tr.Set("Set-Cookie", "a=b")
			tr.Set("Connection", "close")
			tr.Set("Content-Type", "text/evil")
			tr.Set("Trailer", "X-Sum")
			tr.Set("Host", "evil.example")
			// net/http's server does not send these: ServeHTTP and
			// HTTP/3 announced them empty, HTTP/1.1 and HTTP/2 sent them.
			tr.Set("Www-Authenticate", `Basic realm="late"`)
			tr.Set("Proxy-Authenticate", `Basic realm="late"`)
			tr["transfer-encoding"] = []string{"chunked"}
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		resp, err := s.Client.Get(s.URL + "/t")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != "body" {
			t.Fatalf("body %q, %v", b, err)
		}
		if got := resp.Trailer.Get("X-Sum"); got != "42" {
			t.Errorf("X-Sum trailer %q, want 42 (trailers %v)", got, resp.Trailer)
		}
		for k, vs := range resp.Trailer {
			if k != "X-Sum" && len(vs) > 0 {
				t.Errorf("trailer %s: %q sent", k, vs)
			}
		}
		if resp.ContentLength == 99 || resp.Header.Get("Content-Type") == "text/evil" {
			t.Errorf("a trailer reached the head: length %d, %v", resp.ContentLength, resp.Header)
		}
	})
}

// A Request's trailers may be asked for from any goroutine, at any time
// (api.Request), also while another goroutine reads the body to its end:
// behind net/http and over HTTP/3, whose servers fill the trailers during
// that last Read, the handler saw their map as the server wrote it (a
// data race, found with -race). The names declared show before the end,
// the values after it, as on Wharf's connectors.
func TestRequestTrailerWhileBodyRead(t *testing.T) {
	got := make(chan string, 1)
	modes.Run(t, func(c *container.Container) {
		c.HandleFunc("/upload", func(w api.Response, r *api.Request) error {
			done := make(chan struct{})
			go func() {
				defer close(done)
				io.Copy(io.Discard, r.Body())
			}()
			_ = r.Trailer().Get("X-Checksum") // while the body is read
			<-done
			got <- r.Trailer().Get("X-Checksum")
			return nil
		})
	}, func(t *testing.T, s *modes.Server) {
		postWithTrailer(t, s)
		if v := <-got; v != "abc" {
			t.Errorf("trailer after the body = %q, want abc", v)
		}
	})
}

// Before the body is read to its end, a Request's trailers hold no field
// without a value, on every protocol, as api.Request.Trailer says: behind
// net/http, whose server fills the map with the names the Trailer field
// declares, Has and Len saw the names alone, where Wharf's connectors
// show nothing until the values come.
func TestRequestTrailerBeforeBodyHasNoBareNames(t *testing.T) {
	got := make(chan string, 1)
	modes.Run(t, func(c *container.Container) {
		c.HandleFunc("/upload", func(w api.Response, r *api.Request) error {
			tr := r.Trailer()
			var bare []string
			for _, k := range []string{"X-Checksum", "X-Other"} {
				if tr.Has(k) && len(tr.Values(k)) == 0 {
					bare = append(bare, k)
				}
			}
			if n := tr.Len(); n > 0 && !tr.Has("X-Checksum") {
				bare = append(bare, "Len counts a field Has does not see")
			}
			if _, err := io.Copy(io.Discard, r.Body()); err != nil {
				return err
			}
			got <- strings.Join(bare, ", ") + "|" + r.Trailer().Get("X-Checksum")
			return nil
		})
	}, func(t *testing.T, s *modes.Server) {
		postWithTrailer(t, s)
		if g := <-got; g != "|abc" {
			t.Errorf("fields without a value before the body's end, and the trailer after: %q, want \"|abc\"", g)
		}
	})
}

// What a Request's Head hands out of the trailers is the caller's, on
// every protocol: a filter that edits it (as it may edit the head it
// derives a request from) changes neither the Request's trailers nor the
// map the connector filled, which every Request of the exchange reads
// from any goroutine without a lock.
func TestHeadTrailerEditedAfterBody(t *testing.T) {
	type seen struct{ request, head string }
	got := make(chan seen, 1)
	modes.Run(t, func(c *container.Container) {
		c.HandleFunc("/upload", func(w api.Response, r *api.Request) error {
			if _, err := io.Copy(io.Discard, r.Body()); err != nil {
				return err
			}
			tr := r.Head().Trailer()
			tr.Set("X-Checksum", "forged")
			tr.Set("X-Forged", "1")
			got <- seen{r.Trailer().Get("X-Checksum") + r.Trailer().Get("X-Forged"), r.Head().Trailer().Get("X-Checksum")}
			return nil
		})
	}, func(t *testing.T, s *modes.Server) {
		postWithTrailer(t, s)
		if g := <-got; g.request != "abc" || g.head != "abc" {
			t.Errorf("after an edit of the Head's trailers: Request.Trailer shows %q, a later Head %q; want abc, abc", g.request, g.head)
		}
	})
}

// postWithTrailer sends "data" to /upload in a chunked body whose trailer
// X-Checksum: abc is set as the body ends, and reads the answer.
func postWithTrailer(t *testing.T, s *modes.Server) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/upload", nil)
	req.ContentLength = -1
	req.Trailer = http.Header{"X-Checksum": nil}
	req.Body = &trailerSetter{r: strings.NewReader("data"), set: func() { req.Trailer.Set("X-Checksum", "abc") }}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// Behind net/http, a response whose handler set a Content-Length field
// and declared trailers sends them, as Wharf's connectors do: net/http's
// HTTP/1.1 server, given the length, sent the body unchunked and dropped
// the trailers. Over HTTP/2, which frames the trailers whatever the
// length, the length goes too.
func TestServeHTTPTrailersWithContentLength(t *testing.T) {
	c := container.New()
	c.HandleFunc("/t", func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Length", "4")
		w.Trailer()["X-Sum"] = nil
		if _, err := w.WriteString("bo"); err != nil {
			return err
		}
		if r.QueryValue("flush") != "" {
			if err := w.Flush(); err != nil {
				return err
			}
		}
		if _, err := w.WriteString("dy"); err != nil {
			return err
		}
		w.Trailer().Set("X-Sum", "42")
		return nil
	})
	defer c.Close()
	h1 := httptest.NewServer(c)
	defer h1.Close()
	h2 := httptest.NewUnstartedServer(c)
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()
	for _, tt := range []struct {
		name   string
		srv    *httptest.Server
		length int64 // the Content-Length the client sees
	}{
		{"HTTP/1.1", h1, -1},
		{"HTTP/2.0", h2, 4},
	} {
		for _, query := range []string{"", "?flush=1"} {
			t.Run(tt.name+query, func(t *testing.T) {
				resp, err := tt.srv.Client().Get(tt.srv.URL + "/t" + query)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != "body" || resp.Proto != tt.name {
					t.Fatalf("%s body %q, %v", resp.Proto, b, err)
				}
				if got := resp.Trailer.Get("X-Sum"); got != "42" || resp.ContentLength != tt.length {
					t.Errorf("X-Sum trailer %q, Content-Length %d; want 42, %d", got, resp.ContentLength, tt.length)
				}
			})
		}
	}
}
