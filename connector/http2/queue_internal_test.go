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
				if queued := queuedStreamFrames(p.hc); queued > h2MaxFrames {
					t.Fatalf("%d stream frames queued for a client that reads nothing, want at most %d", queued, h2MaxFrames)
				}
			})
		})
	}
}

// Trailers are a HEADERS frame that ends the stream, like the head of a
// bodyless response, and wait for room in the queue as it does: queued
// at once, every stream ending on trailers while the queue is full (a
// client that reads nothing) went past h2MaxFrames, by up to the streams
// open at the time.
func TestH2TrailersWaitForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const trailing = 100
		release := make(chan struct{})
		h := streamFunc(func(s connector.Stream) {
			if s.Request().Path == "/fill" {
				s.WriteHead(http.StatusNoContent, "", http.Header{}, -1, nil)
				s.Finish(nil)
				return
			}
			s.WriteHead(http.StatusOK, "", http.Header{}, -1, []string{"X-Sum"})
			s.Flush()
			<-release
			s.Finish(http.Header{"X-Sum": {"1"}})
		})
		p := startH2Pipe(t, connector.Config{}, h)
		defer func() {
			go func() {
				for range p.frames {
				}
			}()
		}()
		id := uint32(1)
		for range trailing {
			p.get(id, "/trailers")
			id += 2
			synctest.Wait() // its head is queued; its handler waits for release
		}
		// The client reads nothing past p.frames' room: responses fill the
		// queue, then wait for room, then are refused.
		for range h2MaxFrames + 2*h2MaxStreams {
			p.get(id, "/fill")
			id += 2
			synctest.Wait()
		}
		close(release)
		synctest.Wait()
		if queued := queuedStreamFrames(p.hc); queued > h2MaxFrames {
			t.Fatalf("%d stream frames queued for a client that reads nothing, want at most %d", queued, h2MaxFrames)
		}
	})
}

// queuedStreamFrames counts the frames of streams waiting in hc's write
// queue: HEADERS, DATA and the server's own RST_STREAMs. Refusals past
// MAX_CONCURRENT_STREAMS are the client's doing, bounded with the control
// frames (h2MaxControl).
func queuedStreamFrames(hc *serverConn) int {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	queued := 0
	for _, f := range hc.frames {
		if f.kind == h2fHeaders || f.kind == h2fData || f.kind == h2fRST && f.code != xhttp2.ErrCodeRefusedStream {
			queued++
		}
	}
	return queued
}
