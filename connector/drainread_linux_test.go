package connector_test

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A goroutine of the handler that reads the body once the response
// finished fails with an error wrapping api.ErrCompleted, as Request.Body
// says, also while the epoll connector's selector discards the rest of
// that body as the client sends it (drainNB): the read took bytes of the
// socket the idle connection's selector reads, racing with it on the
// connection's read buffer, and the selector, finding the body busy,
// closed the connection it would have kept.
func TestBodyReadWhileDraining(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	respDone := make(chan struct{})
	type result struct {
		n   int
		err error
	}
	late := make(chan result, 1)
	c.HandleFunc("/g", func(w api.Response, r *api.Request) error {
		started := make(chan struct{})
		go func() {
			buf := make([]byte, 10)
			io.ReadFull(r.Body(), buf)
			close(started)
			<-respDone
			n, err := r.Body().Read(buf)
			late <- result{n, err}
		}()
		<-started
		_, err := io.WriteString(w, "ok")
		return err
	})
	addr := listen(t, c)
	nc := wharftest.Dial(t, addr, 10*time.Second)
	const length = 1000
	io.WriteString(nc, "POST /g HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n"+strings.Repeat("x", 100))
	br := bufio.NewReader(nc)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(res.Body)
	// The selector discards the body as it comes: the connection is idle
	// between its bytes.
	wharftest.WaitFor(t, "the body discarded as it comes", func() bool { return c.Stats().Connections.Idle == 1 })
	close(respDone)
	io.WriteString(nc, strings.Repeat("y", length-100))
	if got := <-late; got.n != 0 || !errors.Is(got.err, api.ErrCompleted) {
		t.Errorf("a body read after the response, while it drains: %d, %v; want an error wrapping api.ErrCompleted", got.n, got.err)
	}
	// The body discarded to its end, the connection serves the next request.
	io.WriteString(nc, "GET /g2 HTTP/1.1\r\nHost: a\r\n\r\n")
	if res, err := http.ReadResponse(br, nil); err != nil {
		t.Errorf("the next request on the connection: %v, want its answer", err)
	} else {
		res.Body.Close()
	}
}
