package connector_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/connector"
)

// A KeyUpdate that asks for the server's, read while another goroutine
// of the handler streams the response: crypto/tls's reader writes the
// answer from the body reader's goroutine, which may find a response
// write just begun (its write lock taken first), and the two goroutines
// share the write side's timeout without a race. Both the body and the
// response go through whole.
func TestTLSKeyUpdateDuringDuplexResponse(t *testing.T) {
	const updates = 300
	errs := make(chan error, 2)
	h := tunHandler(func(s connector.Stream) {
		read, done := make(chan struct{}), make(chan struct{})
		go func() { // streams until the body was read
			defer close(done)
			s.WriteHead(200, "", http.Header{}, -1, nil)
			chunk := bytes.Repeat([]byte("x"), 1024)
			for {
				select {
				case <-read:
					errs <- nil
					return
				default:
				}
				if err := s.WriteBody(chunk); err != nil {
					errs <- fmt.Errorf("writing the response: %w", err)
					return
				}
			}
		}()
		b, err := io.ReadAll(s.Request().Body)
		if err == nil && len(b) != updates {
			err = fmt.Errorf("%d bytes, want %d", len(b), updates)
		}
		if err != nil {
			err = fmt.Errorf("reading the body: %w", err)
		}
		errs <- err
		close(read)
		<-done
		s.Finish(nil)
	})
	ts := startTunServer(t, connector.Config{}, h, true)
	raw, a, keyLog := dialTLS13(t, ts.addr)
	fmt.Fprintf(a, "POST /duplex HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", updates)
	w := newTLS13Writer(t, raw, a, keyLog, 1)
	// The response, its records and the server's KeyUpdates, is only
	// drained: the server's side is what is tested.
	go io.Copy(io.Discard, raw)
	for range updates {
		w.keyUpdate(t, true)
		w.send(t, 0x17, []byte("x"))
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
