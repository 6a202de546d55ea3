package websocket_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// A handshake that cannot be served is answered with an error that says
// why in this package's terms, before any 101: a refused origin names
// Config.CheckOrigin (not gorilla's Upgrader, which a program here never
// sees), and a nil Handler — an open that returned neither a Handler nor
// an error — is a 500, where it once got its 101 and then a 1011 from
// its callbacks' nil dereferences.
func TestHandshakeErrorsSayWhy(t *testing.T) {
	tests := []struct {
		name     string
		viaOwn   bool              // Upgrade from a handler of its own, not NewHandler
		h        websocket.Handler // what open returns, or Upgrade is given
		origins  []string          // "self" stands for the server's own origin
		want     int
		wantErr  error // Upgrade's error (viaOwn)
		wantBody string
	}{
		{"refused origin, NewHandler", false, newEcho(), []string{"http://evil.example"}, http.StatusForbidden, nil, "Config.CheckOrigin"},
		{"refused origin, Upgrade", true, newEcho(), []string{"http://evil.example"}, http.StatusForbidden, websocket.ErrOrigin, "Config.CheckOrigin"},
		{"two origins, NewHandler", false, newEcho(), []string{"self", "http://evil.example"}, http.StatusForbidden, nil, "more than one origin"},
		{"two origins, Upgrade", true, newEcho(), []string{"self", "http://evil.example"}, http.StatusForbidden, websocket.ErrOrigin, "more than one origin"},
		{"nil Handler from open", false, nil, nil, http.StatusInternalServerError, nil, ""},
		{"nil Handler to Upgrade", true, nil, nil, http.StatusInternalServerError, websocket.ErrNilHandler, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				errs := make(chan error, 1)
				c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
				if tc.viaOwn {
					c.HandleFunc("/ws", func(w api.Response, r *api.Request) error {
						_, err := websocket.Upgrade(w, r, websocket.Config{}, tc.h)
						errs <- err
						return err
					})
				} else {
					c.Handle("/ws", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return tc.h, nil }))
				}
				s := modes.Start(t, m, c)
				h := http.Header{}
				for _, o := range tc.origins {
					if o == "self" {
						o = s.URL
					}
					h.Add("Origin", o)
				}
				ws, resp, err := dialerFor(s, gws.Dialer{HandshakeTimeout: 10 * time.Second}).Dial(wsURL(s, "/ws"), h)
				if ws != nil {
					ws.Close()
				}
				if resp == nil || resp.StatusCode != tc.want {
					t.Fatalf("handshake: %v, %v; want %d", resp, err, tc.want)
				}
				body, _ := io.ReadAll(resp.Body)
				if !strings.Contains(string(body), tc.wantBody) {
					t.Errorf("body %q does not say %q", body, tc.wantBody)
				}
				if tc.viaOwn {
					if err := <-errs; !errors.Is(err, tc.wantErr) {
						t.Errorf("Upgrade: %v, want %v", err, tc.wantErr)
					}
				}
			})
		})
	}
}

// hiding wraps a Response without Unwrap, as a filter that buffers the
// response does (filters/timeout's): the connection behind it cannot be
// taken over.
type hiding struct{ api.Response }

// A handshake whose Response cannot reach the connection (a filter on the
// path wraps it without Unwrap) is answered 500, and Upgrade's error says
// so and wraps api.ErrNotSupported, where it was gorilla's text of the
// hijack's error ("feature not supported: wharf: not supported on this
// connection"), which blamed a connection that could be taken over and
// matched no sentinel.
func TestHandshakeThroughHidingFilter(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		errs := make(chan error, 1)
		c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
		c.FilterFunc("/ws", func(w api.Response, r *api.Request, next api.Chain) error {
			return next.Next(hiding{w}, r)
		})
		c.HandleFunc("/ws", func(w api.Response, r *api.Request) error {
			_, err := websocket.Upgrade(w, r, websocket.Config{}, newEcho())
			errs <- err
			return err
		})
		s := modes.Start(t, m, c)
		ws, resp, _ := dialerFor(s, gws.Dialer{HandshakeTimeout: 10 * time.Second}).Dial(wsURL(s, "/ws"), nil)
		if ws != nil {
			ws.Close()
		}
		if resp == nil || resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("handshake: %v, want 500", resp)
		}
		if err := <-errs; !errors.Is(err, api.ErrNotSupported) || !strings.Contains(err.Error(), "Unwrap") {
			t.Errorf("Upgrade: %v; want it to wrap api.ErrNotSupported and name the wrapper without Unwrap", err)
		}
	})
}
