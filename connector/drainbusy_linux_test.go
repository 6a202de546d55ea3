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

// A request without a body whose body's lock a goroutine of the handler
// holds when the response ends (a NotifyReadable or a Read, which a body
// without bytes answers at once) keeps its connection: such a body touches
// nothing of the connection's. Until the epoll connector knew that, it
// closed the connection, and a test that called NotifyReadable beside a
// keep-alive client lost one connection in a thousand runs. The answer
// arrives, the next request is served on the same connection, nothing
// touches the state only a body with bytes has (a nil bodyRead), nothing
// panics, whether the handler finished the request itself or it was
// suspended and finished from another goroutine.
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
			br := bufio.NewReader(nc)
			for i := range 2 {
				io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				if suspended {
					var s Stream
					select {
					case s = <-streams:
					case <-time.After(wharftest.Patience):
						t.Fatalf("request %d never reached the handler", i+1)
					}
					for s.(*stream).handoff.Load() != hoDetached {
						runtime.Gosched() // until the connection's goroutine let it go
					}
					finishBusy(s)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("request %d: %v", i+1, err)
				}
				if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(b) != "ok" {
					t.Fatalf("response %d: %d %q", i+1, resp.StatusCode, b)
				}
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
