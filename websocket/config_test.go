package websocket_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// A negative value where Config gives it no meaning is refused: NewHandler
// panics with ErrConfig, and Upgrade returns it before it writes anything.
// Taken as it was, a negative SendQueue refused every Send, and a negative
// WriteTimeout or PongTimeout ended a connection before it could write or
// answer a ping. PingInterval and IdleTimeout take one: never.
func TestConfigRefusesNegative(t *testing.T) {
	tests := []struct {
		name string
		cfg  websocket.Config
		bad  bool
	}{
		{"zero", websocket.Config{}, false},
		{"PingInterval never", websocket.Config{PingInterval: -1}, false},
		{"IdleTimeout never", websocket.Config{IdleTimeout: -1}, false},
		{"ReadLimit", websocket.Config{ReadLimit: -1}, true},
		{"SendQueue", websocket.Config{SendQueue: -1}, true},
		{"PongTimeout", websocket.Config{PongTimeout: -1}, true},
		{"WriteTimeout", websocket.Config{WriteTimeout: -1}, true},
		{"CloseTimeout", websocket.Config{CloseTimeout: -1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got any
			func() {
				defer func() { got = recover() }()
				websocket.NewHandler(tc.cfg, func(*api.Request) (websocket.Handler, error) { return &silent{}, nil })
			}()
			if err, _ := got.(error); tc.bad != errors.Is(err, websocket.ErrConfig) || !tc.bad && got != nil {
				t.Errorf("NewHandler panicked with %v", got)
			}
			upgraded := make(chan error, 1)
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			c.HandleFunc("/ws", func(w api.Response, r *api.Request) error {
				_, err := websocket.Upgrade(w, r, tc.cfg, &silent{})
				upgraded <- err
				return err
			})
			s := modes.Start(t, modes.H1, c)
			ws, resp, err := dial(t, s, "/ws")
			if err == nil {
				ws.Close()
			}
			uerr := <-upgraded
			if tc.bad {
				if !errors.Is(uerr, websocket.ErrConfig) || resp == nil || resp.StatusCode != http.StatusInternalServerError {
					t.Errorf("Upgrade = %v, answered %v; want ErrConfig and a 500", uerr, resp)
				}
			} else if uerr != nil || err != nil {
				t.Errorf("Upgrade = %v, dial: %v", uerr, err)
			}
		})
	}
}
