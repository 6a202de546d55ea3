package container_test

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
)

// A forward after the head went out fails with api.ErrCommitted whatever its
// target: one nothing is mapped at is not answered 404 (the status went
// already), and a malformed one is the same mistake. The handler writes
// what Forward returned after the body it flushed.
func TestForwardAfterCommit(t *testing.T) {
	targets := map[string]string{"mapped": "/b", "unmapped": "/nothing", "bad": "/b/%zz"}
	build := func(c *container.Container) {
		c.HandleFunc("/b", func(w api.Response, r *api.Request) error {
			_, err := io.WriteString(w, "from b")
			return err
		})
		c.HandleFunc("/a/{to}", func(w api.Response, r *api.Request) error {
			io.WriteString(w, "sent;")
			if err := w.Flush(); err != nil {
				return err
			}
			err := dispatcher.Forward(w, r, targets[r.PathParam("to")])
			_, werr := fmt.Fprintf(w, "committed=%v", errors.Is(err, api.ErrCommitted))
			return werr
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for to := range targets {
			if code, body, _ := get(t, s, "/a/"+to); code != 200 || body != "sent;committed=true" {
				t.Errorf("%s: %d %q, want 200 %q", to, code, body, "sent;committed=true")
			}
		}
	})
}

// A forward reads its target as the container reads a request's path: an
// escaped '/', '\', dot segment or control character fails it with
// dispatcher.ErrBadTarget, unless the container maps such paths
// (WithAmbiguousPaths), and then it is decoded and cleaned, as
// TestAmbiguousPathAllowed's request paths are; an escaped NUL fails it
// either way, as TestControlPath's, and so does a raw control character
// in its path or query, or a fragment, which no connector takes in a
// request-target.
func TestForwardAmbiguousTarget(t *testing.T) {
	targets := map[string]string{
		"slash":     "/admin%2Fx",
		"backslash": "/admin%5Cx",
		"dots":      "/public/%2e%2e/admin/x",
		"lf":        "/admin%0Ax",
		"nul":       "/admin%00x",
		"rawlf":     "/admin\nx",
		"rawnul":    "/admin\x00x",
		"rawquery":  "/admin/x?y=\r\nz",
		"fragment":  "/admin/x#top",
		"qfragment": "/admin/x?y=1#top",
	}
	build := func(c *container.Container) {
		buildAmbiguous(c)
		c.HandleFunc("/fwd/{to}", func(w api.Response, r *api.Request) error {
			err := dispatcher.Forward(w, r, targets[r.PathParam("to")])
			if errors.Is(err, dispatcher.ErrBadTarget) {
				_, err = io.WriteString(w, "bad target")
			}
			return err
		})
	}
	refused := map[string]string{"slash": "bad target", "backslash": "bad target", "dots": "bad target", "lf": "bad target", "nul": "bad target",
		"rawlf": "bad target", "rawnul": "bad target", "rawquery": "bad target", "fragment": "bad target", "qfragment": "bad target"}
	allowed := map[string]string{"slash": "admin /admin/x", "backslash": `other /admin\x`, "dots": "admin /admin/x", "lf": "other /admin\nx", "nul": "bad target",
		"rawlf": "bad target", "rawnul": "bad target", "rawquery": "bad target", "fragment": "bad target", "qfragment": "bad target"}
	for _, tc := range []struct {
		name string
		want map[string]string
		opts []container.Option
	}{
		{"default", refused, nil},
		{"WithAmbiguousPaths", allowed, []container.Option{container.WithAmbiguousPaths()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				for to, want := range tc.want {
					if code, body, _ := get(t, s, "/fwd/"+to); code != 200 || body != want {
						t.Errorf("%s (%s): %d %q, want 200 %q", to, targets[to], code, body, want)
					}
				}
			}, tc.opts...)
		})
	}
}

// A forward loop is answered 500, and the server goes on: a default
// handler that forwards to a page nothing else maps reaches itself again.
// Without a bound it recursed until the stack overflowed, which ends the
// process; the handler here gives up by itself after 1,000 calls instead,
// with a 200 that names the calls.
func TestForwardLoopAnswered(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			n, _ := strconv.Atoi(r.QueryValue("n"))
			if n >= 1000 {
				_, err := io.WriteString(w, "no bound")
				return err
			}
			return dispatcher.Forward(w, r, "/not-found?n="+strconv.Itoa(n+1))
		})
		c.HandleFunc("/ok", func(w api.Response, r *api.Request) error {
			_, err := io.WriteString(w, "ok")
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if code, body, _ := get(t, s, "/loop"); code != 500 {
			t.Errorf("forward loop: %d %q, want 500", code, body)
		}
		if code, body, _ := get(t, s, "/ok"); code != 200 || body != "ok" {
			t.Errorf("after the loop: %d %q, want 200 %q", code, body, "ok")
		}
	})
}
