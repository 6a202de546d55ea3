package websocket_test

import (
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

// Header fields set on the response before Upgrade — by the handler or by
// a filter on the way — go out on the 101: cookies, and the subprotocol
// the handler chose among those the client offered.
func TestUpgradeResponseHeaders(t *testing.T) {
	tests := []struct {
		name    string
		offer   []string          // the client's subprotocols
		cfg     websocket.Config  //
		set     map[string]string // set by the handler before Upgrade
		want    map[string]string // on the 101
		wantSub string            // negotiated subprotocol
		status  int               // 0: 101
		assign  bool              // set holds keys assigned as they are, not with Set
	}{
		{"cookie", nil, websocket.Config{}, map[string]string{"Set-Cookie": "session=42; HttpOnly"},
			map[string]string{"Set-Cookie": "session=42; HttpOnly", "X-Filter": "yes"}, "", 0, false},
		{"subprotocol chosen by the handler", []string{"v1.chat", "v2.chat"}, websocket.Config{},
			map[string]string{"Sec-WebSocket-Protocol": "v2.chat"}, nil, "v2.chat", 0, false},
		{"the handler's choice over Config's", []string{"v1.chat", "v2.chat"}, websocket.Config{Subprotocols: []string{"v1.chat"}},
			map[string]string{"Sec-WebSocket-Protocol": "v2.chat"}, nil, "v2.chat", 0, false},
		{"Config's choice", []string{"v1.chat", "v2.chat"}, websocket.Config{Subprotocols: []string{"v2.chat", "v1.chat"}},
			nil, nil, "v2.chat", 0, false},
		{"a subprotocol the client did not offer", []string{"v1.chat"}, websocket.Config{},
			map[string]string{"Sec-WebSocket-Protocol": "v9.chat"}, nil, "", http.StatusInternalServerError, false},
		{"fields the handshake owns are not doubled", nil, websocket.Config{},
			map[string]string{"Connection": "close", "Content-Length": "12", "Content-Type": "text/plain"},
			map[string]string{"Connection": "Upgrade", "Content-Length": "", "Content-Type": ""}, "", 0, false},
		// A map assignment, as WebSocket code often spells the field,
		// is the handler's choice all the same: checked, and what the
		// connection says it speaks.
		{"subprotocol chosen under a key not in canonical form", []string{"v1.chat", "v2.chat"}, websocket.Config{},
			map[string]string{"Sec-WebSocket-Protocol": "v2.chat"}, nil, "v2.chat", 0, true},
		{"a subprotocol the client did not offer, under a key not in canonical form", []string{"v1.chat"}, websocket.Config{},
			map[string]string{"Sec-WebSocket-Protocol": "v9.chat"}, nil, "", http.StatusInternalServerError, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				subs := make(chan string, 1)
				c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
				c.FilterFunc("/ws", func(w api.Response, r *api.Request, next api.Chain) error {
					w.Header().Set("X-Filter", "yes")
					return next.Next(w, r)
				})
				c.HandleFunc("/ws", func(w api.Response, r *api.Request) error {
					for k, v := range tc.set {
						if tc.assign {
							w.Header()[k] = []string{v}
						} else {
							w.Header().Set(k, v)
						}
					}
					conn, err := websocket.Upgrade(w, r, tc.cfg, &silent{})
					if err != nil {
						return err
					}
					subs <- conn.Subprotocol()
					return nil
				})
				s := modes.Start(t, m, c)
				d := dialerFor(s, gws.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: tc.offer})
				ws, resp, err := d.Dial(wsURL(s, "/ws"), nil)
				if tc.status != 0 {
					if err == nil || resp == nil || resp.StatusCode != tc.status {
						t.Fatalf("handshake: %v, %v; want %d", resp, err, tc.status)
					}
					return
				}
				if err != nil {
					t.Fatalf("dial: %v (%v)", err, resp)
				}
				defer ws.Close()
				for k, v := range tc.want {
					if got := resp.Header.Values(k); strings.Join(got, ", ") != v {
						t.Errorf("%s on the 101: %q, want %q", k, got, v)
					}
				}
				if ws.Subprotocol() != tc.wantSub {
					t.Errorf("client's subprotocol %q, want %q", ws.Subprotocol(), tc.wantSub)
				}
				if got := <-subs; got != tc.wantSub {
					t.Errorf("Conn.Subprotocol() = %q, want %q", got, tc.wantSub)
				}
			})
		})
	}
}

// A WebSocket request over HTTP/2 (or HTTP/3) cannot be taken over: it is
// answered 400 with a body that says why (RFC 8441's WebSocket over HTTP/2
// is not offered), not with the HTTP/1.1 handshake's complaint about a
// missing Connection: upgrade.
func TestWebSocketOverHTTP2Refused(t *testing.T) {
	for _, m := range []modes.Mode{modes.H2, modes.H2C, modes.H3} {
		t.Run(string(m), func(t *testing.T) {
			s := serveWS(t, m, websocket.Config{}, &silent{})
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/ws", nil)
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.ProtoMajor < 2 || resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "RFC 8441") {
				t.Fatalf("over %s: %s %q, want 400 naming RFC 8441", resp.Proto, resp.Status, body)
			}
		})
	}
}
