package h3

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/devcert"
)

// HTTP/1.1's connection fields are left out of an HTTP/3 response under a
// key in any case, as Wharf's HTTP/2 leaves them out: a handler's map
// written without Set may hold "connection" or "transfer-encoding", which
// were looked for under the canonical key only and sent, and Go's HTTP/3
// client throws a response that carries one away as malformed (RFC 9114
// §4.2). The container drops such keys itself; this handler is not the
// container, as nothing in front of this package need be.
func TestConnectionFieldsAnyCaseLeftOut(t *testing.T) {
	tests := []struct{ key, value string }{
		{"connection", "close"},
		{"CONNECTION", "keep-alive"},
		{"transfer-encoding", "chunked"},
		{"keep-alive", "timeout=5"},
		{"proxy-connection", "keep-alive"},
		{"upgrade", "websocket"},
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := tests[r.URL.Query().Get("i")[0]-'0']
		w.Header()[f.key] = []string{f.value}
		w.Header().Set("X-Kept", "yes")
		io.WriteString(w, "hello")
	})
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	pool, err := devcert.Pool(cert)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := connector.Config{}
	srv := &http3.Server{
		Handler:     &limitHandler{h: h, lim: cfg.Limits(), reqs: new(inflight)},
		TLSConfig:   http3.ConfigureTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}),
		ConnContext: connResets,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(pc) }()
	tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(func() {
		tr.Close()
		srv.Close()
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		pc.Close()
	})
	cl := &http.Client{Transport: tr}
	for i, f := range tests {
		resp, err := cl.Get("https://" + pc.LocalAddr().String() + "/?i=" + string(rune('0'+i)))
		if err != nil {
			t.Errorf("%s: %s: %v", f.key, f.value, err)
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || string(b) != "hello" || resp.Header.Get("X-Kept") != "yes" {
			t.Errorf("%s: %s: %d %q (%v), fields %v; want 200 \"hello\" with X-Kept", f.key, f.value, resp.StatusCode, b, err, resp.Header)
		}
	}
}
