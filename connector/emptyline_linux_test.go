package connector_test

import (
	"bufio"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// An epoll connection idle after the empty lines a client sent after its
// request (which begin no request: see TestEmptyLinesAfterRequestAreIdle)
// holds no read buffer, as any idle connection holds none, where it kept
// its 4 KiB for them through IdleTimeout; the next request is served.
func TestEmptyLinesIdleHoldNoBuffer(t *testing.T) {
	for _, rest := range []string{"\r\n", "\r\n\r\n"} {
		srv := &connector.Server{Config: connector.Config{Selectors: 1}}
		srv.Handler = streamFunc(func(s connector.Stream) {
			s.WriteHead(200, "", nil, 5, nil)
			s.WriteBody([]byte("hello"))
			s.Finish(nil)
		})
		addr := serveServer(t, srv)
		nc := wharftest.Dial(t, addr, 10*time.Second)
		defer nc.Close()
		if _, err := io.WriteString(nc, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"+rest); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(nc)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		idle, holding := 0, 0
		for deadline := time.Now().Add(5 * time.Second); idle == 0 && time.Now().Before(deadline); {
			runtime.Gosched()
			idle, holding = connector.IdleReadBuffers(srv)
		}
		if idle != 1 || holding != 0 {
			t.Errorf("after %q: %d idle connections, %d holding a read buffer; want 1, 0", rest, idle, holding)
		}
		if _, err := io.WriteString(nc, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err = http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("after %q, the next request: %v", rest, err)
		}
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(b) != "hello" {
			t.Errorf("after %q, the next request: %d %q", rest, resp.StatusCode, b)
		}
	}
}
