package container_test

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
)

// guardCase is a request-target sent as written and what the container
// answers without credentials: 401 from the filter on "/admin/*", 403
// from the one on the context "/app", 400 for a path refused before
// mapping, or 200 and the body of the handler that served, which names
// the path it saw. With credentials, every 401 becomes the 200 of the
// handler (guardAdmin), which names the path the filter saw as well.
type guardCase struct {
	target string
	status int
	body   string // for a 200; with credentials, for a 401
}

// guardCases are the forms an attacker tries to reach "/admin/*" while
// skipping its filter: every one either passes the filter or reaches a
// handler other than the admin one (the default, "*.jsp", the other
// context), and no filter ever sees a path other than the one mapped.
var guardCases = []guardCase{
	{"/admin", 401, "admin /admin /admin|"},
	{"/admin/", 401, "admin /admin/ /admin|/"},
	{"/admin/x", 401, "admin /admin/x /admin|/x"},
	{"/admin/x/", 401, "admin /admin/x/ /admin|/x/"},
	{"/x/../admin/", 401, "admin /admin/ /admin|/"},
	{"/x/../admin", 401, "admin /admin /admin|"},
	{"/./admin", 401, "admin /admin /admin|"},
	{"/admin/./x", 401, "admin /admin/x /admin|/x"},
	{"/../admin/x", 401, "admin /admin/x /admin|/x"},
	{"/admin/x/../../admin/y", 401, "admin /admin/y /admin|/y"},
	{"//admin/", 401, "admin /admin/ /admin|/"},
	{"//admin//x", 401, "admin /admin/x /admin|/x"},
	{"/admin/;/x", 401, "admin /admin/;/x /admin|/;/x"},
	{"/admin/..;/x", 401, "admin /admin/..;/x /admin|/..;/x"},
	{"/admin/x.jsp", 401, "admin /admin/x.jsp /admin|/x.jsp"},
	{"/secure/x.jsp", 401, "jsp /secure/x.jsp /secure/x.jsp|"},
	{"/secure/x%2Ejsp", 401, "jsp /secure/x.jsp /secure/x.jsp|"},
	{"/secure/../x.jsp", 200, "jsp /x.jsp /x.jsp|"},
	{"/admin/..%3B/x", 401, "admin /admin/..;/x /admin|/..;/x"},
	{"/%61dmin/x", 401, "admin /admin/x /admin|/x"},
	{"/admin/%41", 401, "admin /admin/A /admin|/A"},
	{"/admin/x?y=/..%2F", 401, "admin /admin/x /admin|/x"},
	// Escapes that decode to a separator or a dot segment, or to NUL.
	{"/%2e%2e/admin/", 400, ""},
	{"/x/%2e%2e/admin/", 400, ""},
	{"/%2E/admin", 400, ""},
	{"/x/.%2E/admin", 400, ""},
	{"/admin%2Fsecret", 400, ""},
	{"/admin%2fsecret", 400, ""},
	{"/x%2F..%2Fadmin/", 400, ""},
	{"/admin%5c", 400, ""},
	{"/admin%5Cx", 400, ""},
	{"/admin%00", 400, ""},
	{"/admin/%00", 400, ""},
	{"/admin%00/x", 400, ""},
	{"/admin%0A/x", 400, ""},
	// Not "/admin/*": none reaches the admin handler.
	{`/admin\`, 200, `default /admin\`},
	{`/admin\x`, 200, `default /admin\x`},
	{"/admin;x=1/", 200, "default /admin;x=1/"},
	{"/admin;/x", 200, "default /admin;/x"},
	{"/ADMIN/", 200, "default /ADMIN/"},
	{"/Admin/x", 200, "default /Admin/x"},
	{"/admin./", 200, "default /admin./"},
	{"/admin./x", 200, "default /admin./x"},
	{"/admin%20/x", 200, "default /admin /x"},
	{"/adminx", 200, "default /adminx"},
	{"/admin%252F", 200, "default /admin%2F"},
	{"/%C0%AE%C0%AE/admin/", 200, "default /\xc0\xae\xc0\xae/admin/"},
	{"/x/%C0%AF../admin/", 200, "default /x/\xc0\xaf../admin/"},
	{"/admin%C0%AFx", 200, "default /admin\xc0\xafx"},
	{"/x.jsp", 200, "jsp /x.jsp /x.jsp|"},
	// The context "/app": its own filter, whatever the root maps.
	{"/app", 403, ""},
	{"/app/", 403, ""},
	{"/app/admin/x", 403, ""},
	{"//app/x", 403, ""},
	{"/app/../admin/", 401, "admin /admin/ /admin|/"},
	{"/appx/", 200, "default /appx/"},
	{"/appx/admin/", 200, "default /appx/admin/"},
	{"/APP/", 200, "default /APP/"},
	{"/app%2Fx", 400, ""},
	// Forwards: the filters of the target run only when asked for
	// (dispatcher.WithFilters), as a servlet filter runs on FORWARD only
	// when mapped for it; the forwarding handler is the guard.
	{"/fwd?to=/admin/x", 200, "admin /admin/x /admin|/x"},
	{"/fwd?to=/admin/x&filters=1", 401, "admin /admin/x /admin|/x"},
	{"/fwd?to=/x/../admin/y&filters=1", 401, "admin /admin/y /admin|/y"},
	{"/fwd?to=//admin/y&filters=1", 401, "admin /admin/y /admin|/y"},
	{"/fwd?to=/admin%25252Fy&filters=1", 200, "default /admin%2Fy"},
	{"/fwd?to=/admin%252Fy&filters=1", 400, ""},
	{"/fwd?to=/admin%2500&filters=1", 400, ""},
}

// guardAbsolute are absolute-form targets, which only HTTP/1.1 sends:
// the path is what follows the authority, refused and mapped as the
// origin form's.
var guardAbsolute = []guardCase{
	{"http://x/admin/", 401, "admin /admin/ /admin|/"},
	{"HTTP://x/admin", 401, "admin /admin /admin|"},
	{"http://x//admin/x", 401, "admin /admin/x /admin|/x"},
	{"http://x/x/../admin/", 401, "admin /admin/ /admin|/"},
	{"http://x/app/x", 403, ""},
	{"http://x/admin%2Fx", 400, ""},
	{"http://x/%2e%2e/admin/", 400, ""},
	{"http://x/admin%00", 400, ""},
	{"http://x:80/admin%5Cx", 400, ""},
	{"http://x", 200, "default /"},
	{"http://x?/admin/", 200, "default /"},
	{"http://admin/", 200, "default /"},
	{"http:/admin%00", 400, ""},
	{"http:/admin%2Fx", 400, ""},
	{"foo:/admin%00", 400, ""},
}

// guardAdmin guards "/admin/*" with a filter that answers 401 without an
// X-Auth field and otherwise notes the path it saw; the handlers name
// the path, servlet path and path info they were given.
func guardAdmin(c *container.Container) {
	guard := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		if r.Header().Get("X-Auth") == "" {
			return api.Error(http.StatusUnauthorized, "")
		}
		w.Header().Set("X-Filter-Path", r.Path())
		return next.Next(w, r)
	})
	c.Filter("/admin/*", guard)
	mapped := func(name string) api.HandlerFunc {
		return func(w api.Response, r *api.Request) error {
			m := r.Mapping()
			_, err := io.WriteString(w, name+" "+r.Path()+" "+m.ServletPath+"|"+m.PathInfo)
			return err
		}
	}
	c.Filter("/secure/*", guard)
	c.HandleFunc("/admin/*", mapped("admin"))
	c.HandleFunc("*.jsp", mapped("jsp"))
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "default "+r.Path())
		return err
	})
	c.HandleFunc("/fwd", func(w api.Response, r *api.Request) error {
		var opts []dispatcher.Option
		if r.Query().Get("filters") != "" {
			opts = append(opts, dispatcher.WithFilters())
		}
		err := dispatcher.Forward(w, r, r.Query().Get("to"), opts...)
		if errors.Is(err, dispatcher.ErrBadTarget) {
			return api.Error(http.StatusBadRequest, "")
		}
		return err
	})
	app := c.Context("/app")
	app.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
		return api.Error(http.StatusForbidden, "")
	})
	app.HandleFunc("/*", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "app "+r.Path())
		return err
	})
}

// sendGuard sends target as written, over HTTP/1.1 bytes where the mode
// speaks it and through the mode's client otherwise, with the X-Auth
// field if auth. It returns the status, the body, and the X-Filter-Path
// field. ok is false for a target the mode's client cannot send as
// written.
func sendGuard(t *testing.T, s *modes.Server, target string, auth bool) (status int, body, filterPath string, ok bool) {
	t.Helper()
	var resp *http.Response
	if s.Mode.HTTP1() {
		nc := s.DialHTTP1(t)
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		head := "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		if auth {
			head += "X-Auth: 1\r\n"
		}
		if _, err := io.WriteString(nc, head+"\r\n"); err != nil {
			t.Fatal(err)
		}
		var err error
		if resp, err = http.ReadResponse(bufio.NewReader(nc), nil); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
	} else {
		if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") {
			// The client sends an Opaque of "//" as an absolute form.
			return 0, "", "", false
		}
		req, err := http.NewRequest("GET", s.URL+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque, req.URL.RawQuery, _ = strings.Cut(target, "?")
		if auth {
			req.Header.Set("X-Auth", "1")
		}
		if resp, err = s.Client.Do(req); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	return resp.StatusCode, string(b), resp.Header.Get("X-Filter-Path"), true
}

// TestGuardedPrefix: no spelling of a path under "/admin/*" reaches its
// handler without its filter, on any protocol, and the filter sees the
// path the handler does, the one the mapping used.
func TestGuardedPrefix(t *testing.T) {
	modes.Run(t, guardAdmin, func(t *testing.T, s *modes.Server) {
		cases := guardCases
		if s.Mode.HTTP1() {
			cases = append(cases[:len(cases):len(cases)], guardAbsolute...)
		}
		for _, tc := range cases {
			status, body, _, ok := sendGuard(t, s, tc.target, false)
			if !ok {
				continue
			}
			if status != tc.status || (status == 200 && body != tc.body) {
				t.Errorf("%s: %d %q, want %d %q", tc.target, status, body, tc.status, tc.body)
			}
			if tc.status != 401 {
				continue
			}
			// With credentials the filter passes it on: it saw the path
			// the handler was given.
			status, body, filterPath, _ := sendGuard(t, s, tc.target, true)
			path, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(tc.body, "admin "), "jsp "), " ")
			if status != 200 || body != tc.body || filterPath != path {
				t.Errorf("%s with credentials: %d %q, filter saw %q; want 200 %q, filter seeing %q", tc.target, status, body, filterPath, tc.body, path)
			}
		}
	})
}
