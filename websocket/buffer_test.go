package websocket

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
)

// quietTunnel is a Tunnel with nothing to read but what a test puts in;
// tasks run at once, on the caller.
type quietTunnel struct {
	mu      sync.Mutex
	in      []byte
	chunk   int // at most this many bytes a read; 0: all
	waiting func()
}

func (t *quietTunnel) TryRead(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.in) == 0 {
		return 0, api.ErrWouldBlock
	}
	n := len(t.in)
	if t.chunk > 0 {
		n = min(n, t.chunk)
	}
	n = copy(p, t.in[:n])
	t.in = t.in[n:]
	return n, nil
}

func (t *quietTunnel) NotifyReadable(f func()) {
	t.mu.Lock()
	t.waiting = f
	t.mu.Unlock()
}

// feed adds bytes and tells the connection, as a selector would.
func (t *quietTunnel) feed(b []byte) {
	t.mu.Lock()
	t.in = append(t.in, b...)
	f := t.waiting
	t.waiting = nil
	t.mu.Unlock()
	if f != nil {
		f()
	}
}

func (t *quietTunnel) WriteNow(p []byte) (int, error)       { return len(p), nil }
func (t *quietTunnel) NotifyWritable(func(), time.Duration) {}
func (t *quietTunnel) Execute(f func())                     { f() }
func (t *quietTunnel) Close() error                         { return nil }

type collect struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (h *collect) OnOpen(*Conn) {}
func (h *collect) OnMessage(_ *Conn, m Message) {
	h.mu.Lock()
	h.msgs = append(h.msgs, m.Data)
	h.mu.Unlock()
}
func (h *collect) OnClose(*Conn, error) {}

func openQuiet(t *testing.T, h Handler) (*Conn, *quietTunnel) {
	t.Helper()
	tun := &quietTunnel{}
	return openOn(t, tun, h, false), tun
}

// openOn opens a connection on tun for h, with pooled buffers as
// NewHandler's, compressing if deflate (as if the handshake accepted it),
// aborted when the test ends.
func openOn(tb testing.TB, tun api.Tunnel, h Handler, deflate bool) *Conn {
	tb.Helper()
	r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/ws"}, nil)
	c := newConn(tun, "", &settings{pools: new(pools)}, r, h)
	c.deflate = deflate
	c.start()
	tb.Cleanup(func() { c.Abort() })
	return c
}

// clientFrame is a final frame as a client sends it: masked.
func clientFrame(op byte, payload []byte) []byte {
	b := wsframe.AppendFrame(nil, op, payload)
	hdr := len(b) - len(payload)
	b[1] |= 0x80
	key := [4]byte{1, 2, 3, 4}
	out := append(append(b[:hdr:hdr], key[:]...), payload...)
	for i := range payload {
		out[hdr+4+i] ^= key[i%4]
	}
	return out
}

// A quiet connection keeps no read buffer, and reading when nothing came
// (a spurious readiness, the first look after the handshake) costs no
// allocation: the buffer is borrowed and given back, not made anew for
// each look. (read is called as work calls it: the test's goroutine is
// the connection's only one.)
func TestQuietReadAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers at random")
	}
	c, _ := openQuiet(t, &collect{})
	if c.rbuf != nil {
		t.Fatal("an open, quiet connection holds a read buffer")
	}
	allocs := testing.AllocsPerRun(100, c.read)
	if allocs != 0 {
		t.Errorf("a look with nothing to read allocates %.1f times, want 0", allocs)
	}
	if c.rbuf != nil {
		t.Error("the read buffer is kept after the look")
	}
}

// Frames that come in pieces, one larger than the lent buffer among
// them, still arrive whole and in order; the buffer is kept only while a
// frame is partly read.
func TestPooledBufferFrames(t *testing.T) {
	h := &collect{}
	c, tun := openQuiet(t, h)
	large := bytes.Repeat([]byte("0123456789abcdef"), 3*readBufferSize/16)
	want := [][]byte{[]byte("one"), large, []byte("three")}
	var wire []byte
	for _, m := range want {
		wire = append(wire, clientFrame(wsframe.OpBinary, m)...)
	}
	tun.chunk = 1000
	for i := 0; i < len(wire); i += 700 {
		tun.feed(wire[i:min(i+700, len(wire))])
	}
	if c.rbuf != nil {
		t.Error("the read buffer is kept once every frame was read")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.msgs) != len(want) {
		t.Fatalf("got %d messages, want %d", len(h.msgs), len(want))
	}
	for i := range want {
		if !bytes.Equal(h.msgs[i], want[i]) {
			t.Errorf("message %d: %d bytes, want %d", i, len(h.msgs[i]), len(want[i]))
		}
	}
}
