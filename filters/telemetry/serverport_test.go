package telemetry_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestServerAddressAndPort: server.address and server.port are the host
// and the port the client named in its Host field; server.port is left
// out when it named none.
func TestServerAddressAndPort(t *testing.T) {
	s := newSDK(t, nil)
	c := container.New(modes.Options(modes.H1)...)
	c.Filter("/*", s.f)
	c.HandleFunc("/*", func(w api.Response, r *api.Request) error { return nil })
	srv := modes.Start(t, modes.H1, c)
	u, _ := url.Parse(srv.URL)
	listening, _ := strconv.Atoi(u.Port())
	tests := []struct {
		host    string // "" for the client's own, the listener's address
		address string
		port    int64 // 0: no server.port
	}{
		{"", "127.0.0.1", int64(listening)},
		{"example.com:8080", "example.com", 8080},
		{"example.com", "example.com", 0},
		{"[2001:db8::1]:8443", "2001:db8::1", 8443},
	}
	for i, tt := range tests {
		req, _ := http.NewRequest("GET", srv.URL+"/"+strconv.Itoa(i), nil)
		if tt.host != "" {
			req.Host = tt.host
		}
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		wharftest.WaitFor(t, "the span", func() bool { return len(s.spans.Ended()) == i+1 })
		sp := spanOf(t, s.spans.Ended(), "/"+strconv.Itoa(i))
		addr, port := attr(sp.Attributes(), "server.address"), attr(sp.Attributes(), "server.port")
		if addr.AsString() != tt.address {
			t.Errorf("Host %q: server.address %q, want %q", req.Host, addr.AsString(), tt.address)
		}
		switch {
		case tt.port == 0 && port.Type() != attribute.EMPTY:
			t.Errorf("Host %q: server.port %v, want none", req.Host, port.String())
		case tt.port != 0 && (port.Type() != attribute.INT64 || port.AsInt64() != tt.port):
			t.Errorf("Host %q: server.port %q, want %d", req.Host, port.String(), tt.port)
		}
	}
}
