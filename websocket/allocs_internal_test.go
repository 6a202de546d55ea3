package websocket

import (
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
)

// discard is a Handler that keeps nothing.
type discard struct{}

func (discard) OnOpen(*Conn)             {}
func (discard) OnMessage(*Conn, Message) {}
func (discard) OnClose(*Conn, error)     {}

// fullTunnel is a quietTunnel whose socket takes nothing while full:
// the connection waits for it to say it takes more (pump).
type fullTunnel struct {
	quietTunnel
	full     bool
	writable func()
}

func (t *fullTunnel) WriteNow(p []byte) (int, error) {
	if t.full {
		return 0, nil
	}
	return len(p), nil
}

func (t *fullTunnel) NotifyWritable(f func(), _ time.Duration) { t.writable = f }

// pump empties the socket and tells the connection, which writes.
func (t *fullTunnel) pump() {
	t.full = false
	f := t.writable
	t.writable = nil
	if f != nil {
		f()
	}
}

// The allocations of a message each way and of a ping on an idle
// connection whose writes go at once (quietTunnel), pinned so that a
// regression fails; and of a message the socket takes only once it says
// it takes more. Waking the connection (the task on the executor, the
// tunnel's readable and writable callbacks) allocates nothing: its
// function values are made once, with the connection. Send: the frame's
// buffer (one, sized for the frame), whether the socket takes it at once
// or later. Receive: the message's own copy of the payload, which
// OnMessage may keep. Ping: the payload copied for the pong, the control
// queue's slot and the pong's buffer.
func TestMessageAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers at random")
	}
	tun := &fullTunnel{}
	c := openOn(t, tun, discard{}, false)
	msg := Message{Data: []byte("a chat message")}
	text := clientFrame(wsframe.OpText, msg.Data)
	ping := clientFrame(wsframe.OpPing, []byte("p"))
	in := make([]byte, 0, 64)
	// refill puts b in the tunnel in a buffer of the test's, so that
	// only the connection's allocations count, and says it is readable,
	// as a selector would: the connection is woken and reads.
	refill := func(b []byte) {
		tun.in = append(in[:0], b...)
		tun.feed(nil)
	}
	send := func() {
		if err := c.Send(msg); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name string
		run  func()
		want float64
	}{
		{"send", send, 1},
		{"send to a full socket", func() {
			tun.full = true
			send()
			if tun.writable == nil {
				t.Fatal("the connection does not wait for the socket")
			}
			tun.pump()
		}, 1},
		{"receive", func() { refill(text) }, 1},
		{"ping", func() { refill(ping) }, 3},
	} {
		got := testing.AllocsPerRun(100, tt.run)
		t.Logf("%s: %v", tt.name, got)
		if got > tt.want {
			t.Errorf("%s: %v allocations, want at most %v", tt.name, got, tt.want)
		}
	}
}

func BenchmarkSend(b *testing.B) {
	c := openOn(b, &quietTunnel{}, discard{}, false)
	msg := Message{Data: []byte("a chat message")}
	for b.Loop() {
		_ = c.Send(msg)
	}
}

// BenchmarkReceive is a message from the peer, as the selector says the
// socket is readable: the connection is woken, reads the frame and
// delivers the message to OnMessage.
func BenchmarkReceive(b *testing.B) {
	tun := &quietTunnel{}
	openOn(b, tun, discard{}, false)
	text := clientFrame(wsframe.OpText, []byte("a chat message"))
	in := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		tun.in = append(in[:0], text...)
		tun.feed(nil)
	}
}
