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
