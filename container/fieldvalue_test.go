package container_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// A handler sees a field's value without the white space around it on
// every protocol, as HTTP/1.1's parser gives it (RFC 9110 §5.5): Go's
// HTTP/2 and HTTP/3 clients send the value as given, and HTTP/2's and
// quic-go's decoders hand it over as it came, so " 2" compared unequal
// to "2" (a Last-Event-ID, an If-Range) on those protocols only.
func TestFieldValueTrimmedEveryProtocol(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/fields", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("[" + r.Header().Get("X-A") + "][" + r.Header().Get("X-B") + "]")
			return err
		})
	}
	check := func(t *testing.T, client *http.Client, url string) {
		req, err := http.NewRequestWithContext(t.Context(), "GET", url+"/fields", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header["X-A"] = []string{" 1"}
		req.Header["X-B"] = []string{"a b\t"}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if want := "[1][a b]"; resp.StatusCode != 200 || string(b) != want {
			t.Errorf("%s: %d %q, want 200 %q", resp.Proto, resp.StatusCode, b, want)
		}
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) { check(t, s.Client, s.URL) })
	// The container inside net/http's own HTTP/2 server, which hands a
	// value on as the client sent it (modes.NetHTTP is HTTP/1.1).
	t.Run("nethttp-h2", func(t *testing.T) {
		c := container.New()
		build(c)
		s := httptest.NewUnstartedServer(c)
		s.EnableHTTP2 = true
		s.StartTLS()
		t.Cleanup(s.Close)
		t.Cleanup(func() { c.Close() })
		check(t, s.Client(), s.URL)
	})
}

// A response field value with a control character in it (other than
// HTAB), or white space around it, reaches the client on every protocol,
// each such character a space and the white space gone: a field value may
// hold none (RFC 9110 §5.5, RFC 9113 §8.2.1). Before, only CR, LF and NUL
// were replaced, and Go's client threw the whole response away as
// malformed on every protocol (a header field's), or failed its body (a
// trailer's); under net/http's server too, which sends them as they are.
func TestResponseFieldControlBytes(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/fields", func(w api.Response, r *api.Request) error {
			w.Header().Set("X-Ctl", "a\x01b")
			w.Header().Set("X-Del", "a\x7fb")
			w.Header().Set("X-Pad", " padded\t")
			w.Header().Set("X-Tab", "a\tb, caf\u00e9")
			w.Trailer().Set("X-T", "t\x01u")
			_, err := w.WriteString("ok")
			return err
		})
	}
	want := map[string]string{"X-Ctl": "a b", "X-Del": "a b", "X-Pad": "padded", "X-Tab": "a\tb, caf\u00e9"}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		resp, err := s.Client.Get(s.URL + "/fields")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 || string(b) != "ok" {
			t.Fatalf("%d %q (%v), want 200 \"ok\"", resp.StatusCode, b, err)
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: %q, want %q", k, got, v)
			}
		}
		if got := resp.Trailer.Get("X-T"); got != "t u" {
			t.Errorf("trailer X-T: %q, want %q", got, "t u")
		}
	})
}

// The fields that frame a response or describe its connection are the
// connector's, under a key in any case: a handler's map written without
// Set may hold "transfer-encoding" or "content-length", which were sent
// as they were. Beside the connector's Content-Length, the first had
// Go's HTTP/1.1 client read the body as chunks and wait for the rest (a
// proxy would take the next response for them), under net/http's server
// too; the second gave two Content-Lengths, which Go's HTTP/1.1 and
// HTTP/3 clients refuse; and HTTP/2 and HTTP/3 sent the connection
// fields they must not carry, which HTTP/3's client refused.
func TestFramingFieldsAnyCase(t *testing.T) {
	fields := map[string]string{
		"transfer-encoding": "chunked",
		"content-length":    "50",
		"connection":        "keep-alive",
		"keep-alive":        "timeout=5",
		"UPGRADE":           "h2c",
	}
	build := func(c *container.Container) {
		c.HandleFunc("/{k}", func(w api.Response, r *api.Request) error {
			k := r.PathParam("k")
			w.Header()[k] = []string{fields[k]}
			_, err := w.WriteString("hello")
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for k := range fields {
			// A bound on the wait for a body that never ends (chunks
			// the client waits for), not a pause.
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			req, err := http.NewRequestWithContext(ctx, "GET", s.URL+"/"+k, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				cancel()
				t.Errorf("%s set: %v", k, err)
				continue
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			cancel()
			if err != nil || resp.StatusCode != 200 || string(b) != "hello" || resp.ContentLength != 5 || resp.TransferEncoding != nil {
				t.Errorf("%s set: %d %q (%v), length %d, coding %q; want 200 \"hello\" of length 5, not chunked", k, resp.StatusCode, b, err, resp.ContentLength, resp.TransferEncoding)
			}
			if !s.Mode.HTTP1() && (resp.Header["Connection"] != nil || resp.Header["Keep-Alive"] != nil || resp.Header["Upgrade"] != nil) {
				t.Errorf("%s set: %s sent HTTP/1.1's connection fields: %v", k, resp.Proto, resp.Header)
			}
		}
	})
}
