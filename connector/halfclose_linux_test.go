package connector_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// parkWatcher watches a parked request as the container does: it hears a
// hang-up while the handler runs (heard), and fails the request (failed,
// then Abort) if its client is gone while it is suspended.
type parkWatcher struct {
	s      connector.Stream
	heard  chan struct{}
	failed chan struct{}
	once   sync.Once
}

func (w *parkWatcher) ClientGone(err error) {
	close(w.failed)
	w.s.Abort(err)
}

func (w *parkWatcher) Hangup() connector.Watcher {
	return hangupFunc(func() { w.once.Do(func() { close(w.heard) }) })
}

type hangupFunc func()

func (f hangupFunc) ClientGone(error) { f() }

// A client that pipelines requests and then closes its sending side (as
// `printf ... | nc -N` does) waits for every answer: its end came after
// requests it wants answered, so it is no hang-up, and a request of them
// that suspends is answered when it resumes, then the next, as the
// portable connector and net/http's server answer them. The epoll
// connector used to fail the suspended request for the client's end and
// close the connection, answering none of them.
func TestPipelinedThenHalfClosedSuspended(t *testing.T) {
	watching := make(chan struct{})
	parked := make(chan *parkWatcher, 1)
	srv := &connector.Server{Config: connector.Config{Selectors: 1}}
	srv.Handler = streamFunc(func(s connector.Stream) {
		if s.Request().Path == "/park" {
			w := &parkWatcher{s: s, heard: make(chan struct{}), failed: make(chan struct{})}
			s.Watch(w)
			close(watching)
			<-w.heard // the selector saw the client's end
			parked <- w
			return // suspended: finished below, by the test
		}
		s.WriteHead(200, "", nil, 5, nil)
		s.WriteBody([]byte("hello"))
		s.Finish(nil)
	})
	addr := serveServer(t, srv)
	nc := wharftest.Dial(t, addr, 10*time.Second)
	if _, err := io.WriteString(nc, "GET /park HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	<-watching // an end before the handler watches is not heard
	if err := nc.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	w := <-parked
	// Wait until the connection is detached, or the request failed for
	// the client's end.
	for {
		if d, _ := connector.HeldReadBuffers(srv); d == 1 {
			break
		}
		select {
		case <-w.failed:
			t.Fatal("the suspended request failed: the client's end was taken for a hang-up")
		default:
			runtime.Gosched()
		}
	}
	w.s.WriteHead(200, "", nil, 6, nil)
	w.s.WriteBody([]byte("parked"))
	w.s.Finish(nil)
	br := bufio.NewReader(nc)
	for _, want := range []string{"parked", "hello"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %q: %v", want, err)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil || string(b) != want {
			t.Fatalf("got %q, %v; want %q", b, err, want)
		}
	}
	select {
	case <-w.failed:
		t.Fatal("the suspended request failed: the client's end was taken for a hang-up")
	default:
	}
}
