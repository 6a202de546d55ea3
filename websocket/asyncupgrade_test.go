package websocket_test

import (
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// A handler that authenticates the handshake asynchronously (async.Start,
// then a task once the answer came) upgrades from that task: the
// connection is taken over while the goroutine that served the request
// may still be settling it (giving its idle read buffer back), which the
// take-over must not race with (-race).
func TestUpgradeFromAsyncTask(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H1TLS, modes.H1Portable, modes.H1TLSPortable} {
		t.Run(string(m), func(t *testing.T) {
			e := newEcho()
			upgraded := make(chan error, 1)
			c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
			c.HandleFunc("/ws", func(w api.Response, r *api.Request) error {
				a, err := async.Start(r)
				if err != nil {
					return err
				}
				go func() { // the authentication's answer
					a.Dispatch(func(w api.Response) {
						_, err := websocket.Upgrade(w, a.Request(), websocket.Config{}, e)
						upgraded <- err
						a.Complete()
					})
				}()
				return nil
			})
			s := modes.Start(t, m, c)
			ws, resp, err := dialerFor(s, gws.Dialer{HandshakeTimeout: 10 * time.Second}).Dial(wsURL(s, "/ws?name=ann"), nil)
			if err != nil {
				t.Fatalf("dial: %v (%v)", err, resp)
			}
			defer ws.Close()
			if err := <-upgraded; err != nil {
				t.Fatalf("Upgrade from an async task: %v", err)
			}
			ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, m, err := ws.ReadMessage(); err != nil || string(m) != "hello ann" {
				t.Fatalf("greeting %q, %v", m, err)
			}
			ws.WriteMessage(gws.TextMessage, []byte("close"))
			if _, _, err := ws.ReadMessage(); !gws.IsCloseError(err, gws.CloseNormalClosure) {
				t.Fatalf("after asking to close: %v", err)
			}
			if err := <-e.closed; err != nil {
				t.Fatalf("OnClose(%v)", err)
			}
		})
	}
}
