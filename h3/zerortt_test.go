package h3_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A returning client may send its requests as 0-RTT data unless
// Config.Disable0RTT refuses it: the second connection, resumed from the
// first's session ticket, then uses no early data, and cannot be replayed.
func TestDisable0RTT(t *testing.T) {
	for _, tt := range []struct {
		name     string
		cfg      h3.Config
		want0RTT bool
	}{
		{"default", h3.Config{}, true},
		{"disabled", h3.Config{Disable0RTT: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := devcert.New()
			if err != nil {
				t.Fatal(err)
			}
			pool, _ := devcert.Pool(cert)
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
				_, err := io.WriteString(w, "hello")
				return err
			})
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			serveOn(t, c, pc, cert, tt.cfg)
			addr := pc.LocalAddr().String()
			tlsConf := &tls.Config{RootCAs: pool, NextProtos: []string{http3.NextProtoH3},
				ClientSessionCache: tls.NewLRUClientSessionCache(1)}

			// A first connection, whose request round trip brings the
			// session ticket.
			tr := &http3.Transport{TLSClientConfig: tlsConf}
			resp, err := (&http.Client{Transport: tr, Timeout: wharftest.Patience}).Get("https://" + addr + "/hello")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			tr.Close()

			ctx, cancel := context.WithTimeout(t.Context(), wharftest.Patience)
			defer cancel()
			conn, err := quic.DialAddrEarly(ctx, addr, tlsConf, &quic.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseWithError(0, "")
			select {
			case <-conn.HandshakeComplete():
			case <-ctx.Done():
				t.Fatal("no handshake")
			}
			if got := conn.ConnectionState().Used0RTT; got != tt.want0RTT {
				t.Errorf("the resumed connection used 0-RTT: %v, want %v", got, tt.want0RTT)
			}
		})
	}
}
