package connector

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/wharftest"
)

type streamHandlerFunc func(Stream)

func (f streamHandlerFunc) ServeStream(s Stream) { f(s) }

// A request without a body whose body a goroutine of the handler is
// still reading (holding its lock) when the response ends is not done:
// the epoll connector takes the drain path for it, finds the body busy and
// closes the connection. It must not touch the state only a body with
// bytes to read has (a nil bodyRead): the answer arrives, then a clean
// close, nothing panics, whether the handler finished the request itself
// or it was suspended and finished from another goroutine.
func TestDrainBodilessBusy(t *testing.T) {
	for _, suspended := range []bool{false, true} {
		name := map[bool]string{false: "finished by the handler", true: "suspended, finished elsewhere"}[suspended]
		t.Run(name, func(t *testing.T) {
			logs, logger := wharftest.NewLogRecorder()
			streams := make(chan Stream, 1)
			srv := &Server{
				Config: Config{Logger: logger},
				Handler: streamHandlerFunc(func(s Stream) {
					if suspended {
						streams <- s // returns unfinished: the connection detaches
						return
					}
					finishBusy(s)
				}),
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(l) }()
			defer func() { srv.Close(); <-done }()

			nc, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if suspended {
				s := <-streams
				for s.(*stream).handoff.Load() != hoDetached {
					runtime.Gosched() // until the connection's goroutine let it go
				}
				finishBusy(s)
			}
			br := bufio.NewReader(nc)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(b) != "ok" {
				t.Fatalf("response %d %q", resp.StatusCode, b)
			}
			if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("after the response: %d bytes, %v; want the connection closed", n, err)
			}
			for _, r := range logs.Records() {
				if strings.Contains(r.Message, "panic") {
					t.Fatalf("the server logged %q %v", r.Message, r.Attrs)
				}
			}
		})
	}
}

// finishBusy answers s while its body's lock is held, as a goroutine of
// the handler blocked in Read holds it, and lets the lock go later.
func finishBusy(s Stream) {
	rb := s.Request().Body.(*reqBody)
	rb.body.mu.Lock()
	time.AfterFunc(50*time.Millisecond, rb.body.mu.Unlock)
	s.WriteHead(200, "", http.Header{}, 2, nil)
	s.WriteBody([]byte("ok"))
	s.Finish(nil)
}
