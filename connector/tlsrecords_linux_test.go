package connector_test

import (
	"bufio"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A record that carries no request bytes on an idle keep-alive TLS
// connection (a KeyUpdate, a user_canceled alert, an empty
// application_data record: crypto/tls takes each whole and returns
// nothing) begins no request head: the connection stays idle under
// IdleTimeout, as net/http's does, and serves its next request. It was
// taken for part of a head and closed once ReadHeaderTimeout passed.
func TestTLSPostHandshakeRecordOnIdleConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(t *testing.T, w *tls13Writer)
	}{
		{"KeyUpdate", func(t *testing.T, w *tls13Writer) { w.keyUpdate(t, false) }},
		{"user_canceled alert", func(t *testing.T, w *tls13Writer) { w.send(t, 0x15, []byte{1, 90}) }},
		{"empty application data", func(t *testing.T, w *tls13Writer) { w.send(t, 0x17, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var headReads atomic.Int64
			cfg := connector.CountHeadReads(connector.Config{
				Selectors:         1, // one timer wheel: the connections time out in the order they began
				ReadHeaderTimeout: 300 * time.Millisecond,
				IdleTimeout:       time.Minute,
			}, func() { headReads.Add(1) })
			ts := startTunServer(t, cfg, &tlsHandler{}, true)

			raw, a, keyLog := dialTLS13(t, ts.addr)
			br := bufio.NewReader(a)
			get(t, a, br, "/ok", "ok") // the client's first record
			w := newTLS13Writer(t, raw, a, keyLog, 1)

			before := headReads.Load()
			tc.send(t, w)
			wharftest.WaitFor(t, "the selector to read the record", func() bool { return headReads.Load() > before })

			// A clock: a connection whose head begins after the record was
			// read, answered 408 once ReadHeaderTimeout has passed.
			b := ts.dial(t)
			fmt.Fprint(b, "GET /ok HTTP/1.1\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(b), nil)
			if err != nil || resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("a head left unfinished: %v %v, want a 408", resp, err)
			}

			// The idle connection is still served.
			w.send(t, 0x17, []byte("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"))
			expect(t, br, "a request after the record", "ok")
		})
	}
}
