package h3_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Every request the container gets over HTTP/3 says "HTTP/3.0" as its
// protocol, an extended CONNECT's (RFC 9220, which quic-go's server
// offers) too: quic-go gives its :protocol, a token of the client's
// choosing, as the request's Proto, which reached the handler as the
// protocol, telemetry's network.protocol.version (a metric attribute,
// one series per token a client sends) and the Alt-Svc filter, which
// took the request for one over TCP and advertised HTTP/3 on it.
func TestExtendedConnectProto(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.Filter("/*", h3.AltSvc(443))
	c.HandleFunc("/proto", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "%s %d.%d", r.Proto(), r.Head().ProtoMajor, r.Head().ProtoMinor)
		return err
	})
	addr, cl := serveH3(t, c)
	for _, tt := range []struct {
		name, method, protocol string
	}{
		{"GET", "GET", ""},
		{"websocket", "CONNECT", "websocket"},
		{"token", "CONNECT", "x-chosen-by-the-client"},
	} {
		t.Run(tt.name, func(t *testing.T) {
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
			if body := string(b); resp.StatusCode != http.StatusOK || body != "HTTP/3.0 3.0" {
				t.Errorf("status %d, the handler saw %q; want 200, %q", resp.StatusCode, body, "HTTP/3.0 3.0")
			}
			if alt := resp.Header.Get("Alt-Svc"); alt != "" {
				t.Errorf("Alt-Svc %q on an HTTP/3 response", alt)
			}
		})
	}
}
