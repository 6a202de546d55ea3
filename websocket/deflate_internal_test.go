package websocket

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
)

// inflate gives back what deflate took, up to its limit exactly; one
// byte more is errInflatedTooBig.
func TestInflateLimit(t *testing.T) {
	msg := []byte(strings.Repeat("permessage-deflate ", 1000))
	z := deflate(msg)
	if z == nil || len(z) >= len(msg) {
		t.Fatalf("deflate: %d bytes of %d", len(z), len(msg))
	}
	tests := []struct {
		limit int64
		err   error
	}{
		{int64(len(msg)), nil},
		{int64(len(msg)) + 1, nil},
		{1 << 62, nil},
		{int64(len(msg)) - 1, errInflatedTooBig},
		{1, errInflatedTooBig},
	}
	for _, tc := range tests {
		got, err := inflate(z, tc.limit)
		if err != tc.err || err == nil && !bytes.Equal(got, msg) {
			t.Errorf("limit %d: %d bytes, %v; want %v", tc.limit, len(got), err, tc.err)
		}
	}
	// What does not compress goes as it is.
	random := make([]byte, 1000)
	for i := range random {
		random[i] = byte(rand.IntN(256))
	}
	if z := deflate(random); z != nil {
		t.Errorf("deflate of random bytes: %d bytes of %d, want nil", len(z), len(random))
	}
}

// A compression bomb fails once ReadLimit bytes came out: 64 MiB of
// zeros, about 64 KiB compressed, under a limit of 64 KiB allocates
// about that, not the message.
func TestInflateBomb(t *testing.T) {
	z := deflate(make([]byte, 64<<20))
	if z == nil {
		t.Fatal("zeros did not compress")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := inflate(z, 64<<10)
	runtime.ReadMemStats(&after)
	if err != errInflatedTooBig {
		t.Fatalf("inflate: %v, want errInflatedTooBig", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("inflating a bomb under a 64 KiB limit allocated %d bytes", n)
	}
}

// The flate readers and writers are pooled: a message costs the slice it
// comes out in (a large one inflated, the slices it grows through).
func TestDeflateAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop what it is given at random")
	}
	msg := []byte(strings.Repeat("a chat message ", 30))
	z := deflate(msg)
	if n := testing.AllocsPerRun(100, func() { deflate(msg) }); n > 1 {
		t.Errorf("deflate: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { inflate(z, 1<<20) }); n > 1 {
		t.Errorf("inflate: %v allocations", n)
	}
}

// stuckTunnel takes no bytes: what is sent waits in the connection.
type stuckTunnel struct{ quietTunnel }

func (*stuckTunnel) WriteNow([]byte) (int, error) { return 0, nil }

// A message prepared once and sent to many connections is compressed
// once: the connections that accepted compression all queue the same
// compressed payload, which inflates to the message; one that did not
// queues the message itself. Send compresses for each connection.
func TestPreparedCompressedOnce(t *testing.T) {
	msg := []byte(strings.Repeat("a broadcast to many connections. ", 20))
	if _, err := Prepare(Message{Data: []byte("\xff")}); err != ErrInvalidUTF8 {
		t.Errorf("Prepare of text that is not UTF-8: %v, want ErrInvalidUTF8", err)
	}
	p, err := Prepare(Message{Data: msg})
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]*Conn, 4)
	for i := range conns {
		conns[i] = openOn(t, &stuckTunnel{}, &collect{}, i > 0)
		conns[i].Send(Text("first")) // waits for the socket; what follows, in the queue
		if err := conns[i].SendPrepared(p); err != nil {
			t.Fatalf("connection %d: SendPrepared: %v", i, err)
		}
	}
	queued := func(c *Conn) outgoing {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.queue) != 1 {
			t.Fatalf("%d messages queued, want 1", len(c.queue))
		}
		return c.queue[0]
	}
	if o := queued(conns[0]); o.deflated || o.op != wsframe.OpText || unsafe.SliceData(o.data) != unsafe.SliceData(msg) {
		t.Errorf("without compression: deflated %v, opcode %d; want the message itself, as text", o.deflated, o.op)
	}
	var shared *byte
	for i, c := range conns[1:] {
		o := queued(c)
		if !o.deflated || o.op != wsframe.OpText {
			t.Fatalf("connection %d: deflated %v, opcode %d; want compressed text", i+1, o.deflated, o.op)
		}
		if got, err := inflate(o.data, 1<<20); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("connection %d: inflates to %d bytes (%v), want the %d of the message", i+1, len(got), err, len(msg))
		}
		if shared == nil {
			shared = unsafe.SliceData(o.data)
		} else if unsafe.SliceData(o.data) != shared {
			t.Errorf("connection %d compressed the message again", i+1)
		}
	}
}

// A broadcast of a 4 KiB message to 100 connections that accepted
// compression: Send compresses it for each, SendPrepared once.
func BenchmarkBroadcastDeflate(b *testing.B) {
	msg := []byte(strings.Repeat(`{"room":"lobby","from":"someone","text":"a chat message, compressible"},`, 56))
	conns := make([]*Conn, 100)
	for i := range conns {
		conns[i] = openOn(b, &quietTunnel{}, &collect{}, true)
	}
	b.Run("Send", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, c := range conns {
				c.Send(Message{Data: msg})
			}
		}
	})
	b.Run("SendPrepared", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, _ := Prepare(Message{Data: msg})
			for _, c := range conns {
				c.SendPrepared(p)
			}
		}
	})
}
