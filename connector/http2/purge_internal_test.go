package http2

import (
	"bytes"
	"net/http"
	"testing"
	"testing/synctest"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/connector"
)

// DATA that a reset drops from the queue before the writer took it never
// reached the client, so it must not stay counted against the
// connection's send window: the client will never open the window again
// for bytes it did not get, and every later response on the connection
// would wait for a window that never comes (here the client's 64 KiB
// connection window, the default, taken whole by a response reset while
// its frames waited behind a client that was not reading).
func TestH2PurgedDataReturnsConnectionWindow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reset func(p *h2Pipe, s connector.Stream)
	}{
		{"client reset", func(p *h2Pipe, s connector.Stream) { p.fr.WriteRSTStream(1, xhttp2.ErrCodeCancel) }},
		{"handler abort", func(p *h2Pipe, s connector.Stream) { s.Abort(connector.ErrAborted) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				big := bytes.Repeat([]byte("x"), 65535) // the connection's whole window
				wrote := make(chan connector.Stream)
				h := streamFunc(func(s connector.Stream) {
					if s.Request().Path == "/big" {
						s.WriteHead(200, "", http.Header{}, -1, nil)
						s.WriteBody(big)
						s.Flush()
						wrote <- s // the test resets it, and ends it
						return
					}
					s.WriteHead(200, "", http.Header{}, 5, nil)
					s.WriteBody([]byte("small"))
					s.Finish(nil)
				})
				p := startH2Pipe(t, connector.Config{}, h, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 1 << 20})
				// Stop reading: the answers to these PINGs fill the client's
				// frame channel and the pipe, so that the writer blocks and
				// what is queued next stays queued.
				for i := range 2 * cap(p.frames) {
					p.fr.WritePing(false, [8]byte{byte(i)})
				}
				synctest.Wait()
				p.get(1, "/big")
				s := <-wrote
				synctest.Wait()
				tc.reset(p, s)
				synctest.Wait()
				if s.Finish(nil) == nil {
					t.Fatal("Finish of a reset stream succeeded")
				}
				done := make(chan struct{})
				go func() {
					defer close(done)
					for f := range p.frames {
						if d, ok := f.(*dataCopy); ok && d.StreamID == 3 && d.end {
							return
						}
					}
				}()
				p.get(3, "/small")
				synctest.Wait()
				select {
				case <-done:
				default:
					t.Fatal("stream 3's response is not sent: the reset stream's unsent DATA still holds the connection's window")
				}
			})
		})
	}
}

// A reset scans the queue only for a stream with frames still in it: a
// client may reset every stream it opens, and each scan of a full queue
// walks h2MaxFrames frames. What the writer took is out of the queue;
// what the stream queued after that is not.
func TestPurgeSkipsOnlyStreamsWithNothingQueued(t *testing.T) {
	hc := &serverConn{writing: true} // no writer: the test takes the queue
	a, b, c := &stream{hc: hc}, &stream{hc: hc}, &stream{hc: hc}
	hc.queueFrame(h2Frame{kind: h2fData, st: a, data: []byte("a1")})
	hc.queueFrame(h2Frame{kind: h2fData, st: b, data: []byte("b1")})
	hc.takeLocked(nil)
	hc.queueFrame(h2Frame{kind: h2fHeaders, st: a})
	hc.queueFrame(h2Frame{kind: h2fData, st: c, data: []byte("c1")})
	hc.queueFrame(h2Frame{kind: h2fData, st: a, data: []byte("a2")})

	hc.purgeLocked(b) // all of b was taken
	if len(hc.frames) != 3 {
		t.Fatalf("purge of a stream with nothing queued left %d frames, want 3", len(hc.frames))
	}
	hc.purgeLocked(a) // a queued again after the take
	if len(hc.frames) != 1 || hc.frames[0].st != c {
		t.Fatalf("after a's purge the queue holds %d frames, want c's one", len(hc.frames))
	}
	if hc.sendWin != 2 {
		t.Fatalf("send window %d after the purge, want 2 (a2's bytes given back)", hc.sendWin)
	}
}

// BenchmarkPurgeNothingQueued is a client's reset of a stream that has
// nothing queued, with a full queue of other streams' frames.
func BenchmarkPurgeNothingQueued(b *testing.B) {
	hc := &serverConn{writing: true}
	idle, busy := &stream{hc: hc}, &stream{hc: hc}
	hc.queueFrame(h2Frame{kind: h2fData, st: idle})
	hc.takeLocked(nil)
	for range h2MaxFrames {
		hc.queueFrame(h2Frame{kind: h2fData, st: busy})
	}
	for b.Loop() {
		hc.purgeLocked(idle)
	}
}

// A client's reset of a stream that still has frames in the queue costs
// what that stream queued, not what the whole queue holds: a client may
// open and reset stream after stream while the queue stays full of
// others' frames, and a walk of h2MaxFrames frames a reset made that
// quadratic. The reset's frames leave the queue's accounting (its room,
// its bytes, the connection's send window) at once and the queue itself
// when the writer takes it, or once they are half of it.
func TestPurgeDoesNotWalkTheQueue(t *testing.T) {
	hc := &serverConn{writing: true} // no writer: the test takes the queue
	others := &stream{hc: hc}
	for range h2MaxFrames - 2 {
		hc.queueFrame(h2Frame{kind: h2fData, st: others, data: []byte("o")})
	}
	reset := &stream{hc: hc}
	hc.queueFrame(h2Frame{kind: h2fHeaders, st: reset})
	hc.queueFrame(h2Frame{kind: h2fData, st: reset, data: []byte("reset")})
	first := &hc.frames[0]

	hc.purgeLocked(reset)
	if n := len(hc.frames); n != h2MaxFrames || &hc.frames[0] != first {
		t.Fatalf("the purge of one stream's 2 frames rewrote the queue (%d frames left of %d)", n, h2MaxFrames)
	}
	if room := h2MaxFrames - hc.liveFramesLocked(); room != 2 {
		t.Fatalf("room for %d frames after the purge, want 2", room)
	}
	if hc.queued != h2MaxFrames-2 || hc.sendWin != int64(len("reset")) {
		t.Fatalf("queued %d bytes, send window %d after the purge; want %d and %d", hc.queued, hc.sendWin, h2MaxFrames-2, len("reset"))
	}
	hc.purgeLocked(reset) // a second reset of the same stream finds nothing more
	if hc.sendWin != int64(len("reset")) || hc.liveFramesLocked() != h2MaxFrames-2 {
		t.Fatalf("a second purge gave back more: send window %d, %d frames live", hc.sendWin, hc.liveFramesLocked())
	}
	later := h2Frame{kind: h2fData, st: reset, data: []byte("later")} // queued after the purge: not dropped
	hc.queueFrame(later)
	batch := hc.takeLocked(nil)
	if len(batch) != h2MaxFrames-1 {
		t.Fatalf("the writer took %d frames, want %d", len(batch), h2MaxFrames-1)
	}
	for _, f := range batch[:len(batch)-1] {
		if f.st != others {
			t.Fatalf("the writer took a purged frame (%q)", f.data)
		}
	}
	if string(batch[len(batch)-1].data) != "later" {
		t.Fatalf("the frame queued after the purge was not taken")
	}
}

// Purged frames do not pile up in a queue the writer does not take (a
// client that reads nothing): once they are half of it, they are dropped,
// so the queue holds at most about twice the frames it has room for, each
// purged frame moved at most once.
func TestPurgedFramesDoNotPileUp(t *testing.T) {
	hc := &serverConn{writing: true}
	others := &stream{hc: hc}
	for range h2MaxFrames / 2 {
		hc.queueFrame(h2Frame{kind: h2fData, st: others, data: []byte("o")})
	}
	const rounds = 20
	for range rounds {
		st := &stream{hc: hc}
		for hc.liveFramesLocked() < h2MaxFrames {
			hc.queueFrame(h2Frame{kind: h2fData, st: st, data: []byte("x")})
		}
		hc.purgeLocked(st)
		if n := len(hc.frames); n > 2*h2MaxFrames {
			t.Fatalf("%d frames in the queue, %d of them live", n, hc.liveFramesLocked())
		}
	}
	if hc.queued != h2MaxFrames/2 || hc.sendWin != rounds*(h2MaxFrames-h2MaxFrames/2) {
		t.Fatalf("queued %d bytes, send window %d", hc.queued, hc.sendWin)
	}
}

// BenchmarkPurgeOneQueued is a client's reset of a stream with one frame
// queued behind a full queue of other streams' frames.
func BenchmarkPurgeOneQueued(b *testing.B) {
	hc := &serverConn{writing: true}
	others := &stream{hc: hc}
	for range h2MaxFrames - 1 {
		hc.queueFrame(h2Frame{kind: h2fData, st: others})
	}
	st := &stream{hc: hc}
	for b.Loop() {
		hc.queueFrame(h2Frame{kind: h2fData, st: st})
		hc.purgeLocked(st)
	}
}
