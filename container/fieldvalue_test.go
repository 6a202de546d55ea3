package container_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

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
