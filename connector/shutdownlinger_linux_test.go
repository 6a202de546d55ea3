package connector_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A connection in its lingering close (its answer sent, the client's
// input discarded until the client ends its side) is not cut short by
// Shutdown, and does not hold it past the linger's own bound. Shutdown
// took such a connection, idle on the epoll connector, for one between
// requests and closed it at once: a client still sending (an upload the
// handler did not read) then hit a closed socket, whose reset destroyed
// what of the answer the client had not read yet.
func TestShutdownLetsLingeringCloseFinish(t *testing.T) {
	// The answer outgrows what the client's small socket takes while it
	// does not read: the server's kernel still holds the rest.
	answer := strings.Repeat("a", 64<<10)
	tests := []struct {
		name  string
		sends bool // the client goes on sending its body once Shutdown looked, then ends its side
	}{
		{"client goes on sending", true},
		{"client silent", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			looked := make(chan struct{})
			cfg := connector.AfterShutdownLooks(connector.Config{MaxDiscardBytes: 1 << 10, Selectors: 1}, func() { close(looked) })
			srv, nc, finished := answerEarly(t, cfg, answer) // the body past MaxDiscardBytes: the connection lingers
			if _, err := io.WriteString(nc, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n"+strings.Repeat("b", 4<<10)); err != nil {
				t.Fatal(err)
			}
			<-finished
			start := time.Now()
			wharftest.WaitFor(t, "the connection to linger", func() bool { return srv.Stats().Idle == 1 })

			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				shut <- srv.Shutdown(ctx)
			}()
			<-looked
			if tt.sends {
				nc.Write(bytes.Repeat([]byte("b"), 64<<10)) // fails if the server reset the connection: the read below says so
				nc.(*net.TCPConn).CloseWrite()
			}
			late := time.Since(start) > 400*time.Millisecond // the linger's 500 ms near their end: its timer may close it first
			got, err := io.ReadAll(nc)
			if err != nil {
				if late {
					t.Skipf("after %d bytes of the answer: %v; the machine was too slow to tell a linger cut short from one that timed out", len(got), err)
				}
				t.Fatalf("after %d bytes of the answer: %v, want its end", len(got), err)
			}
			res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
			if err != nil {
				t.Fatalf("answer %q: %v", got, err)
			}
			if b, err := io.ReadAll(res.Body); err != nil || res.StatusCode != 200 || len(b) != len(answer) {
				t.Fatalf("answer %d with %d bytes of body (%v), want 200 with %d", res.StatusCode, len(b), err, len(answer))
			}
			if err := <-shut; err != nil {
				t.Fatalf("Shutdown = %v, want nil once the linger ended", err)
			}
		})
	}
}

// answerEarly starts a server of cfg whose handler answers with answer,
// without reading the request's body, and tells finished when it has;
// and dials it with a 4 KiB receive buffer, which the answer outgrows
// while the client does not read: the server's kernel then holds the
// rest. Both end with the test.
func answerEarly(t *testing.T, cfg connector.Config, answer string) (srv *connector.Server, nc net.Conn, finished <-chan struct{}) {
	t.Helper()
	done := make(chan struct{}, 1)
	srv = &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
		s.WriteHead(200, "text/plain", nil, int64(len(answer)), nil)
		s.WriteBody([]byte(answer))
		s.Finish(nil) // the body unread: the connection discards it, or lingers
		done <- struct{}{}
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-served })
	nc, err = wharftest.SmallReceiveBuffer(4096).Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(wharftest.Patience)) // a safety net only
	return srv, nc, done
}
