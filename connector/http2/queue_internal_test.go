package http2

import (
	"errors"
	"net/http"
	"testing"
	"testing/synctest"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/connector"
)

// A response without a body (a HEAD, a 204, a 304) is one HEADERS frame,
// or a head and then an empty DATA frame that ends the stream; queueing
// it ends the stream, which then counts neither against
// MAX_CONCURRENT_STREAMS nor against the unfinished handlers. A client
// that opens stream after stream for such responses and reads nothing
// must still not make the server queue them without bound: they wait for
// room in the queue as DATA does (h2MaxFrames), so that their streams stay
// open and the client is refused once it has MAX_CONCURRENT_STREAMS of
// them. The same holds for a handler that fails before its head went out
// (Abort) or whose response cannot end (fewer bytes than its
// Content-Length): its RST_STREAM closes the stream at once too.
func TestH2BodylessResponsesBounded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		respond func(s connector.Stream)
	}{
		{"HEADERS with END_STREAM", func(s connector.Stream) {
			s.WriteHead(http.StatusNoContent, "", http.Header{}, -1, nil)
			s.Finish(nil)
		}},
		{"empty DATA with END_STREAM", func(s connector.Stream) {
			s.WriteHead(http.StatusOK, "", http.Header{}, -1, nil)
			s.Flush()
			s.Finish(nil)
		}},
		{"RST_STREAM of an Abort", func(s connector.Stream) {
			s.Abort(errors.New("handler failed"))
		}},
		{"RST_STREAM of a body short of its Content-Length", func(s connector.Stream) {
			s.WriteHead(http.StatusOK, "", http.Header{}, 10, nil)
			s.Finish(nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := startH2Pipe(t, connector.Config{}, streamFunc(tc.respond))
				defer func() {
					go func() {
						for range p.frames {
						}
					}()
				}()
				// The client reads nothing past p.frames' room: the writer
				// blocks on the pipe, and what is queued next stays queued.
				for i := range uint32(3 * h2MaxFrames) {
					p.get(2*i+1, "/")
					synctest.Wait() // the handler answers before the next request
				}
				hc := p.hc
				hc.mu.Lock()
				queued := 0
				for _, f := range hc.frames {
					// Refusals past MAX_CONCURRENT_STREAMS are the client's
					// doing, bounded with the control frames (h2MaxControl).
					if f.kind == h2fHeaders || f.kind == h2fData || f.kind == h2fRST && f.code != xhttp2.ErrCodeRefusedStream {
						queued++
					}
				}
				hc.mu.Unlock()
				if queued > h2MaxFrames {
					t.Fatalf("%d stream frames queued for a client that reads nothing, want at most %d", queued, h2MaxFrames)
				}
			})
		})
	}
}
