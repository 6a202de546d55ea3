package h3_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// One container on TCP (HTTP/1.1, TLS) and UDP (HTTP/3): the TCP answers
// advertise HTTP/3, the HTTP/3 answers do not, and both reach the same
// handler; Shutdown ends both Serve calls with ErrServerClosed.
func TestServeBesideTCP(t *testing.T) {
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := devcert.Pool(cert)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	c := container.New(container.WithTLSConfig(tlsCfg), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/proto", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprint(w, r.Proto())
		return err
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	c.Filter("/*", h3.AltSvc(port))
	tcpDone, udpDone := make(chan error, 1), make(chan error, 1)
	go func() { tcpDone <- c.ServeTLS(l, "", "") }()
	go func() { udpDone <- h3.Serve(c, pc, tlsCfg, h3.Config{}) }()

	tcp := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tcp.CloseIdleConnections()
	udp := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer udp.Close()
	for _, tc := range []struct {
		rt     http.RoundTripper
		url    string
		proto  string
		altSvc string
	}{
		{tcp, "https://" + l.Addr().String() + "/proto", "HTTP/1.1", fmt.Sprintf(`h3=":%d"; ma=2592000`, port)},
		{udp, "https://" + pc.LocalAddr().String() + "/proto", "HTTP/3.0", ""},
	} {
		resp, err := (&http.Client{Transport: tc.rt, Timeout: 10 * time.Second}).Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != tc.proto || resp.Header.Get("Alt-Svc") != tc.altSvc {
			t.Errorf("%s: body %q, Alt-Svc %q; want %q, %q", tc.url, b, resp.Header.Get("Alt-Svc"), tc.proto, tc.altSvc)
		}
	}
	udp.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]chan error{"ServeTLS": tcpDone, "h3.Serve": udpDone} {
		select {
		case err := <-ch:
			if !errors.Is(err, connector.ErrServerClosed) {
				t.Errorf("%s returned %v", name, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not return after Shutdown", name)
		}
	}
}

func TestServeNeedsCertificate(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c := container.New()
	defer c.Close()
	for _, cfg := range []*tls.Config{nil, {}} {
		if err := h3.Serve(c, pc, cfg, h3.Config{}); !errors.Is(err, connector.ErrNoCertificate) {
			t.Errorf("Serve with %v: %v", cfg, err)
		}
	}
}

// With no Config.Logger, quic-go's HTTP/3 server logs to slog.Default(),
// as the field says: it was given none, which quic-go takes for no logger
// but for its Error records (a panic, a malformed Content-Length), so
// that its Debug ones (a connection that failed, a response it could not
// flush) reached no one, even a default logger at that level.
func TestLoggerDefault(t *testing.T) {
	rec, logger := wharftest.NewLogRecorder()
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "hello")
		return err
	})
	addr, cl := serveH3(t, c)
	resp, err := cl.Get("https://" + addr + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(rec.RecordsOf("handling request")) == 0 {
		t.Errorf("slog.Default() got none of quic-go's records; got %v", rec.Records())
	}
}
