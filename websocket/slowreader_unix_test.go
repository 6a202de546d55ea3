//go:build unix

package websocket_test

import (
	"errors"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// A peer that reads, but slower than its feed, gets the feed's 1008 once
// SendQueue messages wait: what the socket is taking (one batch at most)
// does not empty the queue each time the socket takes some more, or the
// backlog would grow in the server without bound and Send would never say
// ErrQueueFull.
func TestSteadySlowReaderFillsTheQueue(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		tk := &ticker{size: 16 << 10, period: 5 * time.Millisecond, closed: make(chan error, 1)}
		c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
		c.Handle("/ws", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return tk, nil }))
		s := modes.Start(t, m, c)
		d := dialerFor(s, gws.Dialer{NetDial: wharftest.SmallReceiveBuffer(4 << 10).Dial, ReadBufferSize: 1 << 10})
		ws, _, err := d.Dial(wsURL(s, "/ws"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		// At most 100 messages a second, of about 200 sent, for 8 s (the
		// socket's buffers fill in the first seconds, then 256 messages
		// wait in about 1.3 s); then as fast as they come, which keeps up:
		// the 1008 must have been decided in the slow part. Were the queue
		// emptied into the bytes being written at each writability, it
		// would never hold 256.
		ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		start := time.Now()
		for got := 0; ; got++ {
			_, _, err := ws.ReadMessage()
			if err != nil {
				var ce *gws.CloseError
				if !errors.As(err, &ce) || ce.Code != gws.ClosePolicyViolation {
					t.Fatalf("after %d messages (%d sent): %v, want close 1008", got, tk.sent.Load(), err)
				}
				break
			}
			if time.Since(start) < 8*time.Second {
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
}
