package container_test

import (
	"bufio"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestClientLeavesWhileRunningEndsContext proves that a client closing its
// connection (or resetting its stream) while a blocking handler waits on
// the request's context, with nothing to write, ends that context, on every
// protocol, as net/http's server does with its background read: a handler
// moved over from net/http (a chi route waiting for events, a long poll on
// r.Context()) must not run on, and hold Shutdown, for a client long gone.
// The portable connector, which cannot tell while a request is suspended
// (noticesGone), reads for it while the handler runs.
func TestClientLeavesWhileRunningEndsContext(t *testing.T) {
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			tc := newTracer()
			running := make(chan struct{})
			ended := make(chan struct{})
			release := make(chan struct{})
			s := serveTraced(t, m, tc, func(c *container.Container) {
				c.HandleFunc("/t/wait", func(w api.Response, r *api.Request) error {
					if err := w.Flush(); err != nil { // the head goes out: the client sees it running
						return err
					}
					close(running)
					select {
					case <-r.Context().Done():
						close(ended)
					case <-release:
					}
					return nil
				})
			}, container.WithLogger(wharftest.DiscardLogger()))
			t.Cleanup(func() { close(release) }) // before the server's shutdown
			cl := open(t, s, "/t/wait", 0, nil)
			tr := tc.next(t, "/t/wait")
			cl.response(t)
			<-running
			cl.leave(t)
			select {
			case <-ended:
			case <-time.After(wharftest.Patience):
				t.Fatalf("the handler's context did not end within %v of the client leaving", wharftest.Patience)
			}
			tr.waitDone(t)
		})
	}
}

// TestClientHalfClosesWhileRunningGetsAnswer proves that an HTTP/1.1
// client that closes only its sending side while the handler runs still
// gets the answer, as from net/http's server: the request's context ends
// (the handler answers once it has), and the request is not failed for it.
func TestClientHalfClosesWhileRunningGetsAnswer(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable} {
		t.Run(string(m), func(t *testing.T) { testClientHalfClosesWhileRunningGetsAnswer(t, m) })
	}
}

func testClientHalfClosesWhileRunningGetsAnswer(t *testing.T, m modes.Mode) {
	running := make(chan struct{})
	release := make(chan struct{})
	c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		close(running)
		select {
		case <-r.Context().Done(): // the client's end was heard
		case <-release:
			return nil
		}
		_, err := io.WriteString(w, "answer")
		return err
	})
	s := modes.Start(t, m, c)
	t.Cleanup(func() { close(release) }) // before the server's shutdown
	nc := s.DialHTTP1(t)
	defer nc.Close()
	if _, err := io.WriteString(nc, "GET /wait HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	<-running
	cw, ok := nc.(interface{ CloseWrite() error })
	if !ok {
		t.Fatalf("%T cannot half-close", nc)
	}
	if err := cw.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("no answer after the client half-closed: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "answer" || err != nil {
		t.Errorf("got %d %q %v, want 200 \"answer\"", resp.StatusCode, b, err)
	}
}
