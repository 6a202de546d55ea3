package connector_test

import (
	"bufio"
	"io"
	"net/textproto"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A handler may take the connection over once it has sent a head, or a
// part of a body, as net/http's server lets it: Hijack sends what the
// stream still holds, then hands the connection over, and the taker's
// bytes follow on the wire. Both of Wharf's connectors refused it with
// api.ErrCommitted.
func TestHijackAfterFlush(t *testing.T) {
	tests := []struct {
		name  string
		write func(s connector.Stream)
		body  string // what the client reads after the head, before the taker's bytes
	}{
		{"flushed head", func(s connector.Stream) {
			s.WriteHead(200, "", nil, -1, nil)
			s.Flush()
		}, ""},
		{"flushed part of a body", func(s connector.Stream) {
			s.WriteHead(200, "", nil, 100, nil)
			s.WriteBody([]byte("part;"))
			s.Flush()
		}, "part;"},
		{"head not flushed yet", func(s connector.Stream) {
			s.WriteHead(200, "", nil, 100, nil)
			s.WriteBody([]byte("held;"))
		}, "held;"},
	}
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				hijacked := make(chan error, 1)
				srv := &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
					tt.write(s)
					nc, rw, err := s.Hijack()
					if err != nil {
						hijacked <- err
						s.Abort(err)
						return
					}
					defer nc.Close()
					line, err := rw.ReadString('\n') // sent behind the request
					if err == nil {
						rw.WriteString("taken: " + line)
						err = rw.Flush()
					}
					hijacked <- err
				})}
				addr := serveServer(t, srv)
				nc := wharftest.Dial(t, addr, wharftest.Patience)
				if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\nping\n"); err != nil {
					t.Fatal(err)
				}
				if err := <-hijacked; err != nil {
					t.Fatalf("the handler: %v", err)
				}
				tp := textproto.NewReader(bufio.NewReader(nc))
				status, err := tp.ReadLine()
				if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200 ") {
					t.Fatalf("status line %q (%v), want a 200", status, err)
				}
				if _, err := tp.ReadMIMEHeader(); err != nil {
					t.Fatalf("the head's fields: %v", err)
				}
				rest, err := io.ReadAll(tp.R)
				if want := tt.body + "taken: ping\n"; string(rest) != want || err != nil {
					t.Errorf("after the head: %q (%v), want %q", rest, err, want)
				}
			})
		}
	})
}
