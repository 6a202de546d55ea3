package telemetry_test

import (
	"io"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// What a client sends may hold bytes that are not UTF-8 (a path with
// "%FF" decoded, obs-text in User-Agent), which an OTLP exporter, whose
// attributes are protobuf strings, cannot marshal: it would drop the
// whole batch, every other request's span with it. The span's attributes
// have each run of such bytes as U+FFFD, over every protocol.
func TestAttributesValidUTF8(t *testing.T) {
	var s *sdk
	build := func(c *container.Container) {
		s = newSDK(t, nil)
		c.Filter("/*", s.f)
		c.HandleFunc("/*", func(w api.Response, r *api.Request) error { return nil })
	}
	modes.Run(t, build, func(t *testing.T, srv *modes.Server) {
		req, _ := http.NewRequest("GET", srv.URL+"/a%FF%C3b?q=%FF", nil)
		req.Header.Set("User-Agent", "agent\xff")
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		wharftest.WaitFor(t, "the span", func() bool { return len(s.spans.Ended()) == 1 })
		attrs := s.spans.Ended()[0].Attributes()
		for _, a := range attrs {
			if v := a.Value.String(); !utf8.ValidString(v) {
				t.Errorf("%s = %q, not UTF-8", a.Key, v)
			}
		}
		for key, want := range map[string]string{
			"url.path":            "/a\uFFFDb",
			"url.query":           "q=%FF", // as sent: valid already
			"user_agent.original": "agent\uFFFD",
		} {
			if got := attr(attrs, key).AsString(); got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
	})
}

// The same for the fields no client above sends that way: a Host, a
// method, a query with raw bytes, as a connector or a filter before this
// one may pass them on.
func TestAttributesValidUTF8Fields(t *testing.T) {
	for _, tt := range []struct {
		name      string
		head      func(h *api.RequestHead)
		key, want string
	}{
		{"host", func(h *api.RequestHead) { h.Host = "h\xfe\xffst:8080" }, "server.address", "h\uFFFDst"},
		{"method", func(h *api.RequestHead) { h.Method = "M\xff" }, "http.request.method_original", "M\uFFFD"},
		{"query", func(h *api.RequestHead) { h.RawQuery = "a=\xff&sig=x" }, "url.query", "a=\uFFFD&sig=REDACTED"},
		{"client", func(h *api.RequestHead) { h.Conn.RemoteAddr = "c\xff" }, "client.address", "c\uFFFD"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSDK(t, nil)
			head := wharftest.Head("GET", "/")
			tt.head(head)
			h := api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error { return nil }), s.f)
			x := wharftest.Run(h, head)
			<-x.Done()
			wharftest.WaitFor(t, "the span", func() bool { return len(s.spans.Ended()) == 1 })
			attrs := s.spans.Ended()[0].Attributes()
			if got := attr(attrs, tt.key).AsString(); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, got, tt.want)
			}
			for _, a := range attrs {
				if v := a.Value.String(); !utf8.ValidString(v) {
					t.Errorf("%s = %q, not UTF-8", a.Key, v)
				}
			}
		})
	}
}
