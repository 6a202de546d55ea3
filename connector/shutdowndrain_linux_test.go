package connector_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A connection discarding the unread rest of a body its handler answered
// early goes on discarding it when Shutdown begins, within the discard's
// own bounds, and closes once it ends, as it would have if it could not
// be kept: the client, still sending, then reads its whole answer.
// Shutdown took such a connection, idle between the body's bytes on the
// epoll connector, for one between requests and closed it at once: the
// client's next bytes met a closed socket, whose reset destroyed what of
// the answer it had not read.
func TestShutdownLetsDiscardFinish(t *testing.T) {
	// The answer outgrows what the client's small socket takes while it
	// does not read: the server's kernel still holds the rest.
	answer := strings.Repeat("a", 64<<10)
	const sentFirst, piece, pieces = 4 << 10, 4 << 10, 16 // under MaxDiscardBytes in all
	eachConnector(t, connector.Config{Selectors: 1}, func(t *testing.T, cfg connector.Config) {
		looked := make(chan struct{})
		cfg = connector.AfterShutdownLooks(cfg, func() { close(looked) })
		srv, nc, finished := answerEarly(t, cfg, answer)
		head := "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + strconv.Itoa(sentFirst+piece*pieces) + "\r\n\r\n"
		if _, err := io.WriteString(nc, head+strings.Repeat("b", sentFirst)); err != nil {
			t.Fatal(err)
		}
		<-finished
		if !cfg.Portable {
			// The epoll connector waits for the rest idle; the portable
			// one, on the connection's goroutine.
			wharftest.WaitFor(t, "the connection to wait for the rest of the body", func() bool { return srv.Stats().Idle == 1 })
		}

		shut := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
			defer cancel()
			shut <- srv.Shutdown(ctx)
		}()
		<-looked
		for range pieces { // a write fails if the server reset the connection: the read below says so
			if _, err := nc.Write(bytes.Repeat([]byte("b"), piece)); err != nil {
				break
			}
		}
		got, err := io.ReadAll(nc)
		if err != nil {
			t.Fatalf("after %d bytes of the answer: %v, want its end", len(got), err)
		}
		res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
		if err != nil {
			t.Fatalf("answer %.40q: %v", got, err)
		}
		if b, err := io.ReadAll(res.Body); err != nil || res.StatusCode != 200 || len(b) != len(answer) {
			t.Fatalf("answer %d with %d bytes of body (%v), want 200 with %d", res.StatusCode, len(b), err, len(answer))
		}
		if err := <-shut; err != nil {
			t.Fatalf("Shutdown = %v, want nil once the discard ended", err)
		}
	})
}
