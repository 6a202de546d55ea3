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
