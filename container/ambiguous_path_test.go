package container_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// ambiguousCase is a request-target sent as written (the client's
// URL.Opaque keeps its escapes) and what the container answers: the
// status, and for a 200 the path the handler under "/admin/*" or "/*"
// saw.
type ambiguousCase struct {
	target string
	status int
	body   string
}

// Escapes that decode to a '/' or '\', or to a "." or ".." segment, make
// a path that a proxy in front (a rule for "/admin/*") or a router
// beside (net/http's, reading RawPath) reads otherwise than the
// container, which maps it decoded: they are answered 400, before any
// filter or handler, on every protocol. Other escapes, and dot segments
// sent as dots, are mapped as before.
var ambiguousCases = []ambiguousCase{
	{"/admin%2Fx", 400, ""},
	{"/admin%2fx", 400, ""},
	{"/admin%5Cx", 400, ""},
	{"/admin%5cx", 400, ""},
	{"/public/%2e%2e/admin/x", 400, ""},
	{"/public/%2E%2E/admin/x", 400, ""},
	{"/public/.%2e/admin/x", 400, ""},
	{"/public/%2e./admin/x", 400, ""},
	{"/admin/%2e/x", 400, ""},
	{"/public/%2e%2e", 400, ""},
	{"/admin/x?next=/a%2Fb", 200, "admin /admin/x"},
	{"/admin/a%20b", 200, "admin /admin/a b"},
	{"/caf%C3%A9", 200, "other /café"},
	{"/admin/%2eenv", 200, "admin /admin/.env"},
	{"/admin/x%2e", 200, "admin /admin/x."},
	{"/admin/%2e%2e%2e", 200, "admin /admin/..."},
	{"/admin%252Fx", 200, "other /admin%2Fx"},
	{"/public/../admin/x", 200, "admin /admin/x"},
}

func buildAmbiguous(c *container.Container) {
	c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
		w.Header().Set("X-Filtered", "1")
		return next.Next(w, r)
	})
	c.HandleFunc("/admin/*", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "admin "+r.Path())
		return err
	})
	c.HandleFunc("/*", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "other "+r.Path())
		return err
	})
}

// getAsIs sends target as written, its query apart, and says whether the
// filter of "/*" saw it.
func getAsIs(t *testing.T, s *modes.Server, target string) (status int, body string, filtered bool) {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, q, _ := strings.Cut(target, "?")
	req.URL.Opaque, req.URL.RawQuery = p, q
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	return resp.StatusCode, string(b), resp.Header.Get("X-Filtered") != ""
}

// statusOfTarget sends a GET of target, as sent (an absolute form, say),
// over HTTP/1.1 and returns the status of the answer.
func statusOfTarget(t *testing.T, s *modes.Server, target string) int {
	t.Helper()
	nc := s.DialHTTP1(t)
	defer nc.Close()
	io.WriteString(nc, "GET "+target+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAmbiguousPath(t *testing.T) {
	modes.Run(t, buildAmbiguous, func(t *testing.T, s *modes.Server) {
		for _, tc := range ambiguousCases {
			status, body, filtered := getAsIs(t, s, tc.target)
			if status != tc.status || (status == 200 && body != tc.body) || filtered != (status == 200) {
				t.Errorf("%s: %d %q, filtered %v; want %d %q, filtered only if served", tc.target, status, body, filtered, tc.status, tc.body)
			}
		}
		if !s.Mode.HTTP1() {
			return
		}
		// An absolute-form target's path is the part after its authority.
		for target, want := range map[string]int{"http://x/admin%2Fx": 400, "http://x/admin/a%20b": 200} {
			if got := statusOfTarget(t, s, target); got != want {
				t.Errorf("%s: %d, want %d", target, got, want)
			}
		}
	})
}

// WithAmbiguousPaths maps such a path decoded and cleaned, as Wharf did
// before it answered them 400.
func TestAmbiguousPathAllowed(t *testing.T) {
	allowed := map[string]string{
		"/admin%2Fx":             "admin /admin/x",
		"/admin%5Cx":             `other /admin\x`,
		"/public/%2e%2e/admin/x": "admin /admin/x",
		"/public/.%2e/admin/x":   "admin /admin/x",
		"/admin/%2e/x":           "admin /admin/x",
	}
	modes.Run(t, buildAmbiguous, func(t *testing.T, s *modes.Server) {
		for _, tc := range ambiguousCases {
			if want, ok := allowed[tc.target]; ok {
				tc.status, tc.body = 200, want
			} else if tc.status != 200 {
				continue
			}
			status, body, _ := getAsIs(t, s, tc.target)
			if status != tc.status || body != tc.body {
				t.Errorf("%s: %d %q, want %d %q", tc.target, status, body, tc.status, tc.body)
			}
		}
	}, container.WithAmbiguousPaths())
}
