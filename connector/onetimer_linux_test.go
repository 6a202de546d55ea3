package connector_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// pumpBody writes n bytes of body without blocking: what the socket
// takes now, then the rest each time it takes more (NotifyWritable).
type pumpBody struct {
	n     int
	waits *atomic.Int32
}

func (p pumpBody) InvocationType() api.InvocationType { return api.NonBlocking }

func (p pumpBody) ServeStream(s connector.Stream) {
	nb := s.(connector.NonBlockingWriter)
	s.WriteHead(200, "", http.Header{"Content-Type": {"application/octet-stream"}}, int64(p.n), nil)
	chunk := make([]byte, 64<<10)
	left := p.n
	var pump func()
	pump = func() {
		for left > 0 {
			k := min(left, len(chunk))
			flushed, err := nb.WriteBodyNow(chunk[:k])
			if err != nil {
				s.Abort(err)
				return
			}
			left -= k
			if !flushed {
				p.waits.Add(1)
				nb.NotifyWritable(pump)
				return
			}
		}
		s.Finish(nil)
	}
	pump()
}

// A connection has one timer: a write that waits for a slow reader takes
// it from the idle timeout the connection left filed while it was served,
// and once the response went and the connection turned idle, the idle
// timeout has it again and closes the connection on time.
func TestWriteWaitThenIdleTimeout(t *testing.T) {
	const size = 32 << 20
	waits := new(atomic.Int32)
	addr := serveServer(t, &connector.Server{Handler: pumpBody{size, waits}, Config: connector.Config{
		Selectors: 1, IdleTimeout: 300 * time.Millisecond, WriteTimeout: 10 * time.Second,
	}})

	nc := wharftest.Dial(t, addr, 0)
	// Idle first, so that the idle timeout is filed when the request
	// comes, and stays filed while it is served.
	time.Sleep(100 * time.Millisecond)
	if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // longer than the idle timeout: the socket fills, the write waits
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != size {
		t.Fatalf("read %d of %d bytes: %v", n, size, err)
	}
	if waits.Load() == 0 {
		t.Fatal("the response never waited for the client: the test proves nothing")
	}
	idleSince := time.Now()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = br.ReadByte()
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Fatalf("the idle connection is still open after 5 s (IdleTimeout 300 ms): its timer was lost to the write wait")
	case err != io.EOF && !errors.Is(err, net.ErrClosed):
		t.Logf("read after the response: %v", err) // a reset is a close too
	}
	t.Logf("%d waits for the client; closed %v after the response (IdleTimeout 300 ms)", waits.Load(), time.Since(idleSince).Round(time.Millisecond))
}
