package connector_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A client that asks for KeyUpdates while it sends a request head and
// does not read fills the server's socket with the answers, which
// crypto/tls's reader writes on the selector, where nothing may wait.
// What the socket did not take goes once it takes more, before the
// response: the client then reads every answer, whole, then its
// response. The answer that found the socket full failed instead (part
// of its record could have gone), crypto/tls remembered the error, and
// the connection ended with the request unanswered.
//
// The client sends its records with one write, as
// TestTLSLingerSendsPending's does, and the head's wait is bounded by
// Patience. Sent one by one from behind its full receive buffer, which
// drops the server's segments and the acknowledgments they carry, they
// can stall the client's sending for seconds on a loaded machine (that
// test's failure in CI) until ReadHeaderTimeout ends the head cut
// short: the test would race its own client, not the server.
func TestTLSKeyUpdateAnswersOnFullSocket(t *testing.T) {
	// Small socket buffers, locked (an accepted socket inherits the
	// listener's send buffer; the client's receive buffer is its own): a
	// few hundred answers overflow them.
	sndbuf := func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4096) })
	}
	l, err := (&net.ListenConfig{Control: sndbuf}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &connector.Server{Handler: &tlsHandler{}, Config: connector.Config{
		Logger:            wharftest.DiscardLogger(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{mustCert(t, "localhost")}},
		ReadHeaderTimeout: wharftest.Patience,
	}}
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(l, "", "") }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("ServeTLS returned %v", err)
		}
	})

	raw, a, keyLog := dialTLS13With(t, wharftest.SmallReceiveBuffer(4096), l.Addr().String())
	get(t, a, bufio.NewReader(a), "/ok", "ok")
	w := newTLS13Writer(t, raw, a, keyLog, 1)
	head := "GET /ok HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 300) + "\r\n\r\n"
	w.sendKeyUpdated(t, head)

	// The server's records from here on, read without crypto/tls, which
	// would refuse so many KeyUpdates in a row: an answer to each
	// KeyUpdate, then the response, the first record under the server's
	// key updated as many times.
	r := newServerRecords(t, raw, a, keyLog, len(head))
	for i := range len(head) + 1 {
		hdr, rec, err := readRecord(raw)
		if err != nil {
			t.Fatalf("record %d of %d: %v", i, len(head)+1, err)
		}
		if i < len(head) {
			continue
		}
		plain, err := r.aead.Open(nil, r.iv, rec, hdr)
		if err != nil {
			t.Fatalf("the response's record: %v", err)
		}
		plain = bytes.TrimRight(plain, "\x00")
		if typ := plain[len(plain)-1]; typ != 0x17 {
			t.Fatalf("the response's record is of type %d", typ)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(plain[:len(plain)-1])), nil)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(resp.Body); string(b) != "ok" {
			t.Fatalf("response %d %q, want ok", resp.StatusCode, b)
		}
	}
}
