package container_test

import (
	"net/http"
	"runtime/debug"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// depthStream is a fakeStream that notes how deep the stack is, below the
// goroutine that serves the request, when the response reaches it.
type depthStream struct {
	fakeStream
	base, max uintptr
}

func (s *depthStream) note() {
	if d := s.base - wharftest.StackAddr(); d > s.max {
		s.max = d
	}
}

func (s *depthStream) WriteHead(int, string, http.Header, int64, []string) error {
	s.note()
	return nil
}
func (s *depthStream) WriteBody(p []byte) error { s.note(); return nil }
func (s *depthStream) Finish(http.Header) error { s.note(); return nil }

// growStack makes sure the calling goroutine's stack is large, so that it
// does not move (which would make StackAddr's earlier answers stale)
// while a test measures depths.
//
//go:noinline
func growStack(i int) byte {
	var b [32 << 10]byte
	b[i%len(b)] = 1
	return b[(i*7)%len(b)]
}

// The container's share of the stack on the way to a response's head and
// end stays small. A blocking request runs on a goroutine whose stack
// starts at 2 KiB (or the runtime's running average) and grows by copying
// the whole stack: with the connector's frames above the container's and
// the socket write's below, a response that needs more than 4 KiB pays a
// copy on every request, which was 5% of the server's CPU time under
// /sleep at 10,000 connections (docs/benchmarks.md). Error pages, trailers
// and content sniffing keep their frames out of the way (exchange.fail,
// output.sniffType). Measured on go1.26: 1,216 bytes (3,616 before they
// did), 1,784 under the race detector, whose instrumentation widens frames
// (4,464 before).
func TestResponseStackDepth(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection may shrink the stack and move it
	budget := uintptr(1536)
	if wharftest.RaceEnabled {
		budget = 2048
	}
	c := helloContainer()
	defer c.Close()
	s := &depthStream{fakeStream: fakeStream{head: api.RequestHead{Method: "GET", Target: "/hello", Path: "/hello", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		growStack(len(s.head.Path))
		s.base = wharftest.StackAddr()
		c.ServeStream(s)
	}()
	<-done
	if s.max == 0 {
		t.Fatal("the response never reached the stream")
	}
	t.Logf("%d bytes of stack from ServeStream's caller to the stream", s.max)
	if s.max > budget {
		t.Errorf("the response reaches the stream %d bytes down the stack, over the budget of %d", s.max, budget)
	}
}
