package h3_test

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// An extended CONNECT (RFC 9220: a CONNECT with a :protocol, which
// quic-go's server offers every client in its SETTINGS) is answered 501
// before any filter or handler runs: no handler can open the tunnel it
// asks for (there is no Tunneler or Hijack over HTTP/3), and a 2xx tells
// the client that it is open (RFC 9110 §9.3.6). A handler mapped to its
// path answered it 200, as it would a GET, its body taken by the client
// for the tunnel's first bytes (a WebSocket's frames); and quic-go gave
// the handler the client's :protocol token as the request's protocol.
// Other requests still say "HTTP/3.0", and get no Alt-Svc.
func TestExtendedConnectRefused(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.Filter("/*", h3.AltSvc(443))
	var ran atomic.Int32
	c.HandleFunc("/proto", func(w api.Response, r *api.Request) error {
		ran.Add(1)
		_, err := fmt.Fprintf(w, "%s %d.%d", r.Proto(), r.Head().ProtoMajor, r.Head().ProtoMinor)
		return err
	})
	addr, cl := serveH3(t, c)
	for _, tt := range []struct {
		name, method, protocol string
		status                 int
		body                   string
		ran                    bool
	}{
		{"GET", "GET", "", http.StatusOK, "HTTP/3.0 3.0", true},
		{"websocket", "CONNECT", "websocket", http.StatusNotImplemented, "Not Implemented\n", false},
		{"connect-udp", "CONNECT", "connect-udp", http.StatusNotImplemented, "Not Implemented\n", false},
		{"token", "CONNECT", "x-chosen-by-the-client", http.StatusNotImplemented, "Not Implemented\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ran.Store(0)
			req, err := http.NewRequest(tt.method, "https://"+addr+"/proto", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.protocol != "" {
				req.Proto = tt.protocol // quic-go's client sends it as :protocol
			}
			resp, err := cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if body := string(b); resp.StatusCode != tt.status || body != tt.body || (ran.Load() != 0) != tt.ran {
				t.Errorf("status %d, body %q, handler ran %v; want %d, %q, %v", resp.StatusCode, body, ran.Load() != 0, tt.status, tt.body, tt.ran)
			}
			if alt := resp.Header.Get("Alt-Svc"); alt != "" {
				t.Errorf("Alt-Svc %q on an HTTP/3 response", alt)
			}
		})
	}
}
