package connector_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// duplexHandler reads the request body on a goroutine of its own while it
// writes a large response, so one goroutine is parked reading and another
// writing on the same connection at once.
type duplexHandler struct {
	respBytes int
	got       chan int
}

func (h duplexHandler) ServeStream(s connector.Stream) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n, _ := io.Copy(io.Discard, s.Request().Body)
		h.got <- int(n)
	}()
	s.WriteHead(200, "", http.Header{}, int64(h.respBytes), nil)
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for sent := 0; sent < h.respBytes; sent += len(chunk) {
		if err := s.WriteBody(chunk[:min(len(chunk), h.respBytes-sent)]); err != nil {
			break
		}
	}
	wg.Wait()
	s.Finish(nil)
}

// A goroutine parked in a body read and one parked in a response write on
// the same connection are each woken by their own readiness.
func TestDuplexWaiters(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		const reqBytes, respBytes = 1 << 20, 8 << 20
		h := duplexHandler{respBytes: respBytes, got: make(chan int, 1)}
		addr := serveServer(t, &connector.Server{Handler: h, Config: cfg})

		nc := wharftest.Dial(t, addr, 20*time.Second)
		fmt.Fprintf(nc, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", reqBytes)
		// The client sends its body slowly while it reads the response only
		// after a while, so both server-side goroutines have to park.
		sendErr := make(chan error, 1)
		go func() {
			part := bytes.Repeat([]byte("y"), 16<<10)
			for sent := 0; sent < reqBytes; sent += len(part) {
				if _, err := nc.Write(part); err != nil {
					sendErr <- err
					return
				}
				if sent == 0 {
					time.Sleep(50 * time.Millisecond)
				}
			}
			sendErr <- nil
		}()
		time.Sleep(100 * time.Millisecond)
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || n != respBytes {
			t.Fatalf("response body: %d bytes, %v; want %d", n, err, respBytes)
		}
		if err := <-sendErr; err != nil {
			t.Fatal(err)
		}
		if got := <-h.got; got != reqBytes {
			t.Fatalf("handler read %d body bytes, want %d", got, reqBytes)
		}
	})
}
