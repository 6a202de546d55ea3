package websocket

import (
	"context"

	"github.com/wharf-go/wharf/api"
	"testing"

	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
)

// discard is a Handler that keeps nothing.
type discard struct{}

func (discard) OnOpen(*Conn)             {}
func (discard) OnMessage(*Conn, Message) {}
func (discard) OnClose(*Conn, error)     {}

// The allocations of a message each way and of a ping on an idle
// connection whose writes go at once (quietTunnel), pinned so that a
// regression fails. Send: the frame's buffer (one, sized for the frame).
// Receive: the method value work is handed to the executor as (a field
// for it would take Conn past its size class), and the message's own
// copy of the payload, which OnMessage may keep. Ping: the same two
// (the payload copied for the pong), the control queue's slot and the
// pong's buffer.
func TestMessageAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers at random")
	}
	c, tun := openQuiet(t, discard{})
	msg := Message{Data: []byte("a chat message")}
	text := clientFrame(wsframe.OpText, msg.Data)
	ping := clientFrame(wsframe.OpPing, []byte("p"))
	in := make([]byte, 0, 64)
	// refill puts b in the tunnel in a buffer of the test's, so that
	// only the connection's allocations count.
	refill := func(b []byte) {
		tun.in = append(in[:0], b...)
		tun.feed(nil)
	}
	for _, tt := range []struct {
		name string
		run  func()
		want float64
	}{
		{"send", func() {
			if err := c.Send(msg); err != nil {
				t.Fatal(err)
			}
		}, 1},
		{"receive", func() { refill(text); c.read() }, 2},
		{"ping", func() { refill(ping); c.read() }, 4},
	} {
		got := testing.AllocsPerRun(100, tt.run)
		t.Logf("%s: %v", tt.name, got)
		if got > tt.want {
			t.Errorf("%s: %v allocations, want at most %v", tt.name, got, tt.want)
		}
	}
}

func BenchmarkSend(b *testing.B) {
	tun := &quietTunnel{}
	r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/ws"}, nil)
	c := newConn(tun, "", &settings{pools: new(pools)}, r, discard{})
	c.start()
	defer c.Abort()
	msg := Message{Data: []byte("a chat message")}
	for b.Loop() {
		_ = c.Send(msg)
	}
}
