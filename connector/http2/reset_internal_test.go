package http2

import (
	"testing"
	"testing/synctest"
	"time"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/connector"
)

// goneWatcher closes its channel when the client is gone.
type goneWatcher chan struct{}

func (w goneWatcher) ClientGone(error) { close(w) }

// A client that resets its streams a little below h2ResetRate keeps its
// connection however long it goes on, here a minute and over five
// bursts' worth of resets: the bucket refills as time passes, not only
// when the connection is quiet.
func TestH2ResetBelowRateAllowed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := streamFunc(func(s connector.Stream) {
			if s.Request().Path == "/wait" {
				gone := make(goneWatcher)
				s.Watch(gone)
				<-gone
				s.Abort(connector.ErrClientGone)
				return
			}
			answer(s)
		})
		p := startH2Pipe(t, connector.Config{}, h)
		const every = time.Second / (h2ResetRate * 9 / 10)
		id := uint32(1)
		for range 60 * h2ResetRate * 9 / 10 {
			p.get(id, "/wait")
			p.fr.WriteRSTStream(id, xhttp2.ErrCodeCancel)
			if p.sleep(every) {
				t.Fatalf("the connection ended after %d streams reset", id/2)
			}
			id += 2
		}
		p.get(id, "/hello")
		f := p.next(func(f xhttp2.Frame) bool {
			h, ok := f.(*xhttp2.MetaHeadersFrame)
			return isGoAway(f) || ok && h.StreamID == id
		})
		if h, ok := f.(*xhttp2.MetaHeadersFrame); !ok || h.PseudoValue("status") != "200" {
			t.Fatalf("after %d streams reset: %v, want a 200", id/2, f)
		}
	})
}

// A client whose streams are mostly answered keeps its connection
// however fast it resets the others, here three bursts' worth with no
// time passing, each reset followed by a request answered in full: a
// stream that ends both ways gives a reset back (a gRPC client cancelling
// a share of its calls at their deadlines, a proxy's many users on one
// connection), where the bucket alone ended it after h2ResetBurst.
func TestH2ResetsAmongAnsweredAllowed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := streamFunc(func(s connector.Stream) {
			if s.Request().Path == "/wait" {
				gone := make(goneWatcher)
				s.Watch(gone)
				<-gone
				s.Abort(connector.ErrClientGone)
				return
			}
			answer(s)
		})
		p := startH2Pipe(t, connector.Config{}, h)
		id := uint32(1)
		for i := range 3 * h2ResetBurst {
			p.get(id, "/wait")
			p.fr.WriteRSTStream(id, xhttp2.ErrCodeCancel)
			id += 2
			p.get(id, "/hello")
			f := p.next(func(f xhttp2.Frame) bool {
				switch f := f.(type) {
				case *dataCopy:
					return f.StreamID == id && f.end
				case *xhttp2.MetaHeadersFrame:
					return f.StreamID == id && f.StreamEnded()
				}
				return isGoAway(f)
			})
			if f == nil || isGoAway(f) {
				t.Fatalf("after %d streams reset and as many answered: %v, want stream %d answered", i+1, f, id)
			}
			id += 2
		}
	})
}
