package csrf_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/csrf"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestEndToEnd runs checkCases against a real container on every protocol.
// The Origin "self" case passing proves the filter compares with the
// request's real authority: the Host field on HTTP/1.1, :authority on
// HTTP/2 and HTTP/3 (which send no Host field).
func TestEndToEnd(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", csrf.New(csrf.Config{}))
		c.HandleFunc("/transfer", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("done")
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checkCases {
			req, err := http.NewRequest(c.method, s.URL+"/transfer", strings.NewReader("amount=100"))
			if err != nil {
				t.Fatal(err)
			}
			if c.site != "" {
				req.Header.Set("Sec-Fetch-Site", c.site)
			}
			if o := originFor(c, u.Scheme, u.Host); o != "" {
				req.Header.Set("Origin", o)
			}
			// The victim's browser attaches its session cookie to the
			// forged request: that is what makes it dangerous.
			req.Header.Set("Cookie", "session=0123456789abcdef")
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := http.StatusForbidden
			if c.allowed {
				want = http.StatusOK
			}
			if resp.StatusCode != want {
				t.Errorf("%s: status %d, want %d (%q)", c.name, resp.StatusCode, want, body)
			}
			if !c.allowed && strings.Contains(string(body), "done") {
				t.Errorf("%s: the handler ran: %q", c.name, body)
			}
			// The client reads why (the default error page sends a 4xx's
			// cause), and not its cookie.
			if !c.allowed && (!strings.HasPrefix(string(body), "403 Forbidden: csrf: cross-origin request refused: cross-origin request detected") ||
				strings.Contains(string(body), "0123456789abcdef")) {
				t.Errorf("%s: the 403 says %q, want why it was refused, without the cookie", c.name, body)
			}
		}
	})
}
