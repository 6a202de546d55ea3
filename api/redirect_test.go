package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// redirectCases are requests answered with a redirect, each on a path
// under /app, a context of its own, and by the root's default handler.
var redirectCases = []struct {
	method, path, target string
	code                 int
	typed                bool // the handler set a Content-Type before
}{
	{"GET", "/items/7", "/login", http.StatusSeeOther, false},
	{"GET", "/items/7", "edit", http.StatusFound, false},
	{"GET", "/items/7/", "edit", http.StatusFound, false},
	{"GET", "/a/b/c", "../x?y=1&z=2", http.StatusMovedPermanently, false},
	{"GET", "/a/b/c", "./d/", http.StatusTemporaryRedirect, false},
	{"GET", "/a", "https://example.com/x y", http.StatusPermanentRedirect, false},
	{"GET", "/a", "//example.com/x", http.StatusFound, false},
	{"GET", "/a", "/caf\u00e9?q=\u00e9", http.StatusFound, false},
	{"GET", "/a", `/x"><script>`, http.StatusFound, false},
	{"GET", "/a", "", http.StatusFound, false},
	{"GET", "/a", "/x", http.StatusFound, true},
	{"HEAD", "/a", "/x", http.StatusFound, false},
	{"POST", "/a/b", "done", http.StatusSeeOther, false},
	{"DELETE", "/a", "/x", http.StatusSeeOther, false},
	{"GET", "/app/items/7", "edit", http.StatusFound, false},
	{"GET", "/app/items/7", "/login", http.StatusFound, false},
}

// TestRedirect: on every protocol, api.Redirect answers as net/http's
// http.Redirect answers the same request with the same arguments:
// status, Location, Content-Type and body.
func TestRedirect(t *testing.T) {
	type answer struct {
		status                int
		location, ctype, body string
	}
	// The case is the request's X-Case, so that one server per mode
	// answers them all.
	redirect := func(w api.Response, r *api.Request) error {
		i, err := strconv.Atoi(r.Header().Get("X-Case"))
		if err != nil {
			return err
		}
		tc := redirectCases[i]
		if tc.typed {
			w.Header().Set("Content-Type", "text/plain")
		}
		return api.Redirect(w, r, tc.target, tc.code)
	}
	// s serves the case: a mode's server, or net/http's as one.
	get := func(t *testing.T, s *modes.Server, i int) answer {
		t.Helper()
		req, err := http.NewRequest(redirectCases[i].method, s.URL+redirectCases[i].path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Case", strconv.Itoa(i))
		resp, b := s.Do(t, req)
		return answer{resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type"), string(b)}
	}
	want := make([]answer, len(redirectCases))
	for i, tc := range redirectCases {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.typed {
				w.Header().Set("Content-Type", "text/plain")
			}
			http.Redirect(w, r, tc.target, tc.code)
		}))
		want[i] = get(t, &modes.Server{URL: hs.URL, Client: hs.Client()}, i)
		hs.Close()
		if want[i].status != tc.code {
			t.Fatalf("%+v: net/http answered %d", tc, want[i].status)
		}
	}
	modes.Run(t, func(c *container.Container) {
		c.HandleFunc("/*", redirect)
		c.Context("/app").HandleFunc("/*", redirect)
	}, func(t *testing.T, s *modes.Server) {
		for i, tc := range redirectCases {
			if got := get(t, s, i); got != want[i] {
				t.Errorf("%s %s, Redirect(%q, %d): %+v; net/http: %+v", tc.method, tc.path, tc.target, tc.code, got, want[i])
			}
		}
	})
}

// TestRedirectRefused: a code that is no redirection, or a response
// already committed, is an error, and nothing is added to the response.
// 304 Not Modified, 305 Use Proxy and 306 are 3xx codes no client
// follows a Location of (and a 304 has no body, so the link's failed).
func TestRedirectRefused(t *testing.T) {
	for _, code := range []int{0, 200, 299, 304, 305, 306, 400, 404, 500} {
		w := wharftest.NewRecorder()
		r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/a"}, nil)
		err := api.Redirect(w, r, "/b", code)
		var se *api.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusInternalServerError || !strings.Contains(err.Error(), "not a redirection") {
			t.Errorf("code %d: %v, want a *StatusError of 500 saying it is not a redirection", code, err)
		}
		if len(w.Header()) != 0 || w.Status() != http.StatusOK {
			t.Errorf("code %d: the response became %d %v", code, w.Status(), w.Header())
		}
	}
	modes.Run(t, func(c *container.Container) {
		c.HandleFunc("/304", func(w api.Response, r *api.Request) error {
			err := api.Redirect(w, r, "/b", http.StatusNotModified)
			var se *api.StatusError
			if !errors.As(err, &se) || se.Code != http.StatusInternalServerError {
				_, werr := io.WriteString(w, "Redirect with 304: "+errString(err))
				return werr
			}
			_, werr := io.WriteString(w, "refused")
			return werr
		})
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			if err := w.Flush(); err != nil {
				return err
			}
			err := api.Redirect(w, r, "/b", http.StatusFound)
			if !errors.Is(err, api.ErrCommitted) {
				_, werr := io.WriteString(w, "Redirect after the commit: "+errString(err))
				return werr
			}
			_, werr := io.WriteString(w, "refused")
			return werr
		})
	}, func(t *testing.T, s *modes.Server) {
		for _, path := range []string{"/", "/304"} {
			resp, err := s.Client.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(b) != "refused" || resp.Header.Get("Location") != "" {
				t.Errorf("%s: %d, Location %q, %q; want 200, no Location, refused", path, resp.StatusCode, resp.Header.Get("Location"), b)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// TestRedirectIncluded: a resource included into another's response
// (dispatcher.Include) cannot set its status or header fields, which are
// the includer's, so its Redirect is no redirect: as the Servlet API's
// sendRedirect in an include, it is ignored, and the link meant for a
// client that does not follow redirects is not written into the
// includer's body either.
func TestRedirectIncluded(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			modes.Run(t, func(c *container.Container) {
				c.HandleFunc("/page", func(w api.Response, r *api.Request) error {
					if _, err := io.WriteString(w, "before|"); err != nil {
						return err
					}
					if err := dispatcher.Include(w, r, "/fragment"); err != nil {
						return err
					}
					_, err := io.WriteString(w, "|after")
					return err
				})
				c.HandleFunc("/fragment", func(w api.Response, r *api.Request) error {
					return api.Redirect(w, r, "/login", http.StatusSeeOther)
				})
			}, func(t *testing.T, s *modes.Server) {
				req, err := http.NewRequest(method, s.URL+"/page", nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := s.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(b) != "before||after" || resp.Header.Get("Location") != "" {
					t.Errorf("%d, Location %q, %q; want 200, no Location, %q", resp.StatusCode, resp.Header.Get("Location"), b, "before||after")
				}
			})
		})
	}
}
