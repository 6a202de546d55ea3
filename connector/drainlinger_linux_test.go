package connector_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A connection discarding the unread rest of a body its handler answered
// early, when DiscardTimeout ends the discard with the client still
// sending, closes lingering, as one past MaxDiscardBytes does: the
// client, still uploading, then reads its whole answer. On the epoll
// connector the discard's timer closed it at once: the client's next
// bytes met a closed socket, whose reset destroyed what of the answer it
// had not read.
func TestDiscardTimeoutLingers(t *testing.T) {
	// The answer outgrows what the client's small socket takes while it
	// does not read: the server's kernel still holds the rest.
	answer := strings.Repeat("a", 64<<10)
	const sentFirst, rest = 4 << 10, 64 << 10 // under MaxDiscardBytes in all
	tests := []struct {
		name  string
		sends bool // the client goes on sending its body once the discard timed out, then ends its side
	}{
		{"client goes on sending", true},
		{"client silent", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := connector.Config{Selectors: 1, DiscardTimeout: 50 * time.Millisecond, MinRequestDataRate: -1}
			srv, nc, finished := answerEarly(t, cfg, answer)
			head := "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + strconv.Itoa(sentFirst+rest) + "\r\n\r\n"
			if _, err := io.WriteString(nc, head+strings.Repeat("b", sentFirst)); err != nil {
				t.Fatal(err)
			}
			<-finished
			// The client sends nothing until DiscardTimeout ended the
			// discard: the connection then lingers, or, as before, is gone.
			wharftest.WaitFor(t, "the discard to time out", func() bool {
				return connector.Lingering(srv) == 1 || srv.Stats().Open == 0
			})
			seen := time.Now()
			if tt.sends {
				nc.Write(bytes.Repeat([]byte("b"), rest)) // fails if the server reset the connection: the read below says so
				nc.(*net.TCPConn).CloseWrite()
			}
			late := time.Since(seen) > 400*time.Millisecond // the linger's 500 ms near their end: its timer may close it first
			got, err := io.ReadAll(nc)
			if err != nil {
				if late {
					t.Skipf("after %d bytes of the answer: %v; the machine was too slow to tell a reset from a linger that timed out", len(got), err)
				}
				t.Fatalf("after %d bytes of the answer: %v, want its end", len(got), err)
			}
			res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
			if err != nil {
				t.Fatalf("answer %.40q: %v", got, err)
			}
			if b, err := io.ReadAll(res.Body); err != nil || res.StatusCode != 200 || len(b) != len(answer) {
				t.Fatalf("answer %d with %d bytes of body (%v), want 200 with %d", res.StatusCode, len(b), err, len(answer))
			}
			wharftest.WaitFor(t, "the connection to close", func() bool { return srv.Stats().Open == 0 })
		})
	}
}
