package container_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// buildControl maps "/*" to a handler that says the path and the query
// value q it read, quoted, behind a filter that marks what it saw.
func buildControl(c *container.Container) {
	c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
		w.Header().Set("X-Filtered", "1")
		return next.Next(w, r)
	})
	c.HandleFunc("/*", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "path=%q q=%q", r.Path(), r.QueryValue("q"))
		return err
	})
}

// controlCase is a request-target sent as written and what the handler
// of buildControl answers by default and with WithAmbiguousPaths: a 200's
// body, or for a 400 a part of the error text the client gets.
type controlCase struct {
	target        string
	status        int
	body          string
	allowedStatus int
	allowedBody   string
}

// A percent-escape that decodes to a control character puts it into the
// decoded path every filter and handler reads: refused with 400 before
// them by default, NUL even with WithAmbiguousPaths (Jetty refuses it
// whatever its URI compliance). In the query the same escapes are the
// handler's to read, and are not refused.
var controlCases = []controlCase{
	{"/a%00b", 400, "escaped NUL", 400, "escaped NUL"},
	{"/a/%00", 400, "escaped NUL", 400, "escaped NUL"},
	{"/a%0ab", 400, "control character", 200, `path="/a\nb" q=""`},
	{"/a%0Ab", 400, "control character", 200, `path="/a\nb" q=""`},
	{"/a%0d%0aX-Injected:%201", 400, "control character", 200, `path="/a\r\nX-Injected: 1" q=""`},
	{"/a%7fb", 400, "control character", 200, `path="/a\x7fb" q=""`},
	{"/a%7Fb", 400, "control character", 200, `path="/a\x7fb" q=""`},
	{"/a%1fb", 400, "control character", 200, `path="/a\x1fb" q=""`},
	{"/a%01b", 400, "control character", 200, `path="/a\x01b" q=""`},
	{"/a%0a%00", 400, "escaped NUL", 400, "escaped NUL"},
	{"/a?q=%00", 200, `path="/a" q="\x00"`, 200, `path="/a" q="\x00"`},
	{"/a?q=%0a", 200, `path="/a" q="\n"`, 200, `path="/a" q="\n"`},
	{"/a?q=%7f", 200, `path="/a" q="\x7f"`, 200, `path="/a" q="\x7f"`},
	{"/a?q=%1f", 200, `path="/a" q="\x1f"`, 200, `path="/a" q="\x1f"`},
	{"/a%20b", 200, `path="/a b" q=""`, 200, `path="/a b" q=""`},
	{"/a%2500", 200, `path="/a%00" q=""`, 200, `path="/a%00" q=""`},
	{"/a%2F%0a", 400, "control character", 200, `path="/a/\n" q=""`},
}

func TestControlPath(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed bool
		opts    []container.Option
	}{
		{"default", false, nil},
		{"WithAmbiguousPaths", true, []container.Option{container.WithAmbiguousPaths()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			modes.Run(t, buildControl, func(t *testing.T, s *modes.Server) {
				for _, cc := range controlCases {
					want, wantBody := cc.status, cc.body
					if tc.allowed {
						want, wantBody = cc.allowedStatus, cc.allowedBody
					}
					status, body, filtered := getAsIs(t, s, cc.target)
					if status != want || filtered != (status == 200) ||
						status == 200 && body != wantBody || status != 200 && !strings.Contains(body, wantBody) {
						t.Errorf("%s: %d %q, filtered %v; want %d %q, filtered only if served", cc.target, status, body, filtered, want, wantBody)
					}
				}
				if !s.Mode.HTTP1() {
					return
				}
				// An absolute-form target's path is the part after its authority.
				lf := 400
				if tc.allowed {
					lf = 200
				}
				for target, want := range map[string]int{"http://x/a%00b": 400, "http://x/a?q=%00": 200, "http://x/a%0ab": lf} {
					if got := statusOfTarget(t, s, target); got != want {
						t.Errorf("%s: %d, want %d", target, got, want)
					}
				}
			}, tc.opts...)
		})
	}
}
