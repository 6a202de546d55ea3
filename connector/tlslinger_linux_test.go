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

// A TLS connection that closes lingering while the socket has not taken
// all of its records yet (the answers to a client's KeyUpdates, its 400,
// close_notify: writes that may not wait, kept in fdTLS.pend) sends them
// before it shuts its sending side, whether or not the client ended its
// own: the client reads every record whole, close_notify last, then the
// end. The side was shut at once, and what the socket had not taken was
// lost: the client read a record cut short, or none of its answer, before
// the end.
//
// The client sends its records with one write, and the linger is bounded
// by Patience rather than half a second. Sent one by one from behind a
// full receive buffer, they stalled: that buffer drops the server's
// segments, and with them the acknowledgments of the client's own, so
// the client's sending backed off for seconds and ReadHeaderTimeout
// answered the head cut short with a 408 (the end after 308 of 543
// records) or a close that reset the connection (after 228). And a
// client that a loaded machine kept from reading for half a second
// found the linger over, by design, its records dropped.
func TestTLSLingerSendsPending(t *testing.T) {
	tests := []struct {
		name    string
		endSide bool // the client ends its sending side before it reads
	}{
		{"client reads", false},
		{"client ends its side first", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := (&net.ListenConfig{Control: smallBuffer(syscall.SO_SNDBUF)}).Listen(t.Context(), "tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &connector.Server{Handler: &tlsHandler{}, Config: connector.LingerFor(connector.Config{
				Logger:    wharftest.DiscardLogger(),
				TLSConfig: &tls.Config{Certificates: []tls.Certificate{mustCert(t, "localhost")}},
			}, wharftest.Patience)}
			served := make(chan error, 1)
			go func() { served <- srv.ServeTLS(l, "", "") }()
			defer func() {
				srv.Close()
				if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
					t.Errorf("ServeTLS returned %v", err)
				}
			}()
			// How much of the answers the sockets take varies: the
			// exchange is tried again until some were left waiting when
			// the connection lingered.
			for range 20 {
				if lingerWithPending(t, srv, l.Addr().String(), tt.endSide) {
					return
				}
				wharftest.WaitFor(t, "the connection to close", func() bool { return srv.Stats().Open == 0 })
			}
			t.Skip("the sockets took every answer in 20 connections: nothing waited when the connection lingered")
		})
	}
}

// smallBuffer locks a socket's buffer opt small (an accepted socket
// inherits the listener's): a few hundred KeyUpdate answers may overflow
// it and the client's receive buffer.
func smallBuffer(opt int) func(_, _ string, rc syscall.RawConn) error {
	return func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, opt, 4096) })
	}
}

// lingerWithPending sends srv, at addr, a KeyUpdate before each byte of
// a head whose last byte makes it malformed, without reading: answered
// 400, the connection lingers. endSide ends the client's side then. It
// fails t unless the client reads every answer whole, close_notify last,
// then the end, and reports whether records waited for the socket when
// the connection began to linger.
func lingerWithPending(t *testing.T, srv *connector.Server, addr string, endSide bool) (waited bool) {
	t.Helper()
	l := startLinger(t, srv, addr)
	defer l.raw.Close() // now, not when the test ends: the next try waits for the close
	if endSide {
		l.raw.(*net.TCPConn).CloseWrite()
	}
	l.readAnswers(t)
	return l.waited
}

// lingerClient is the client of a connection that startLinger had linger.
type lingerClient struct {
	raw     net.Conn
	r       *tls13Writer // the server's keys, once updated for each KeyUpdate
	updates int          // the KeyUpdates it answered, before its 400
	waited  bool         // records waited for the socket as the connection lingered
}

// startLinger has a connection to srv, at addr, linger as lingerWithPending
// says, and returns its client once the connection lingers (or closed).
func startLinger(t *testing.T, srv *connector.Server, addr string) *lingerClient {
	t.Helper()
	raw, a, keyLog := dialTLS13With(t, wharftest.SmallReceiveBuffer(4096), addr)
	get(t, a, bufio.NewReader(a), "/ok", "ok")
	w := newTLS13Writer(t, raw, a, keyLog, 1)
	// The answers stay under maxTLSPending even if the sockets take none.
	head := "GET /ok HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 500) + "\r\nBad\r\n"
	w.sendKeyUpdated(t, head)
	l := &lingerClient{raw: raw, updates: len(head)}
	wharftest.WaitFor(t, "the connection to linger or close", func() bool {
		lingering, pending := connector.LingeringTLS(srv)
		l.waited = l.waited || pending > 0
		return lingering == 1 || srv.Stats().Open == 0
	})
	// The server's records, read without crypto/tls (see
	// TestTLSKeyUpdateAnswersOnFullSocket): an answer to each KeyUpdate,
	// then the 400 and close_notify, under the server's key updated as
	// many times.
	l.r = newServerRecords(t, raw, a, keyLog, len(head))
	return l
}

// readAnswers fails t unless the client reads every answer whole,
// close_notify last, then the end.
func (l *lingerClient) readAnswers(t *testing.T) {
	t.Helper()
	raw, r := l.raw, l.r
	for i := range l.updates + 2 {
		hdr, rec, err := readRecord(raw)
		if err != nil {
			t.Fatalf("record %d of %d: %v", i, l.updates+2, err)
		}
		if i < l.updates {
			continue
		}
		nonce := bytes.Clone(r.iv)
		nonce[11] ^= byte(i - l.updates) // the record's sequence number under the last key
		plain, err := r.aead.Open(nil, nonce, rec, hdr)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		plain = bytes.TrimRight(plain, "\x00")
		typ, content := plain[len(plain)-1], plain[:len(plain)-1]
		switch i - l.updates {
		case 0:
			if typ != 0x17 {
				t.Fatalf("the answer's record is of type %d", typ)
			}
			if resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(content)), nil); err != nil || resp.StatusCode != 400 {
				t.Fatalf("answer %q (%v), want a 400", content, err)
			}
		case 1:
			if typ != 0x15 || !bytes.Equal(content, []byte{1, 0}) {
				t.Fatalf("last record of type %d: %x, want close_notify", typ, content)
			}
		}
	}
	if n, err := raw.Read(make([]byte, 5)); err != io.EOF {
		t.Fatalf("after close_notify: %d bytes, %v; want the end", n, err)
	}
}
