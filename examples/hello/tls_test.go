package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestCurlTLS serves with -cert and -key (a certificate made for the test
// and written to its temporary directory) and asks with curl over HTTP/1.1
// and HTTP/2, trusting just that certificate.
func TestCurlTLS(t *testing.T) {
	curlPath := wharftest.Tool(t, "curl", "Debian package curl")
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := devcert.WriteFiles(t.TempDir(), cert)
	if err != nil {
		t.Fatal(err)
	}
	base, stop := exampletest.RunCommand(t, command.Run, "-cert", certFile, "-key", keyFile)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("listening on %s, want https://", base)
	}
	base = strings.Replace(base, "127.0.0.1", "localhost", 1) // the name the certificate is for
	tests := []struct {
		flag, version, path, body string
	}{
		{"--http1.1", "1.1", "/hello?name=tls", "Hello, tls!"},
		{"--http2", "2", "/hello?name=h2", "Hello, h2!"},
		{"--http2", "2", "/delay?ms=20", "delayed 20 ms"},
		{"--http2", "2", "/sleep?ms=5", "slept 5 ms"},
	}
	for _, tc := range tests {
		out, err := exec.Command(curlPath, "-sS", "--max-time", "20", "--cacert", certFile, tc.flag,
			"-w", "\n%{http_code} %{http_version}", base+tc.path).Output()
		want := tc.body + "\n200 " + tc.version
		if err != nil || string(out) != want {
			t.Errorf("curl %s %s = %q (%v), want %q", tc.flag, tc.path, out, err, want)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("run returned %v", err)
	}
}

// With -tls alone, the server makes its own certificate and offers HTTP/2.
func TestSelfSignedTLS(t *testing.T) {
	base, stop := exampletest.RunCommand(t, command.Run, "-tls")
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	resp, err := client.Get(base + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || string(b) != "Hello, world!" {
		t.Fatalf("%s %q, want HTTP/2 and Hello, world!", resp.Proto, b)
	}
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 || resp.TLS.PeerCertificates[0].Subject.Organization[0] != "Wharf development" {
		t.Fatal("not the development certificate")
	}
	tr.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Errorf("run returned %v", err)
	}
}

// -cert without -key is refused before anything listens.
func TestCertNeedsKey(t *testing.T) {
	err := command.Run(t.Context(), []string{"-addr", "127.0.0.1:0", "-cert", "x.pem"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-cert and -key") {
		t.Fatalf("Run = %v", err)
	}
}

// With -tls -h3, the same port answers HTTP/3 on UDP, and the TCP answers
// say so in Alt-Svc.
func TestHTTP3(t *testing.T) {
	base, stop := exampletest.RunCommand(t, command.Run, "-tls", "-h3")
	tcp := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tcp.CloseIdleConnections()
	udp := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer udp.Close()
	port := base[strings.LastIndexByte(base, ':')+1:]
	for _, tc := range []struct {
		rt     http.RoundTripper
		proto  string
		altSvc string
	}{
		{tcp, "HTTP/1.1", `h3=":` + port + `"; ma=2592000`},
		{udp, "HTTP/3.0", ""},
	} {
		resp, err := (&http.Client{Transport: tc.rt, Timeout: 20 * time.Second}).Get(base + "/delay?ms=10")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Proto != tc.proto || string(b) != "delayed 10 ms" || resp.Header.Get("Alt-Svc") != tc.altSvc {
			t.Errorf("%s %q Alt-Svc %q; want %s, %q", resp.Proto, b, resp.Header.Get("Alt-Svc"), tc.proto, tc.altSvc)
		}
	}
	udp.Close()
	tcp.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Errorf("run returned %v", err)
	}
	if err := command.Run(t.Context(), []string{"-addr", "127.0.0.1:0", "-h3"}, io.Discard); err == nil || !strings.Contains(err.Error(), "-h3 needs -tls") {
		t.Errorf("-h3 without TLS: %v", err)
	}
}

// With -tls -h3 -qos, QoS's 503s advertise HTTP/3 too: Alt-Svc wraps
// every filter (issue 19: it was added after QoS and never ran for them).
func TestHTTP3AltSvcOnQoS503(t *testing.T) {
	base, stop := exampletest.RunCommand(t, command.Run, "-tls", "-h3", "-qos", "1", "-qos-wait", "200ms")
	tcp := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tcp.CloseIdleConnections()
	client := &http.Client{Transport: tcp, Timeout: 20 * time.Second}
	want := `h3=":` + base[strings.LastIndexByte(base, ':')+1:] + `"; ma=2592000`
	slept := make(chan error, 1)
	go func() {
		resp, err := client.Get(base + "/sleep?ms=1500")
		if err == nil {
			resp.Body.Close()
		}
		slept <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !busy(t, client, base) {
		if time.Now().After(deadline) {
			t.Fatal("/sleep never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := client.Get(base + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Alt-Svc") != want {
		t.Errorf("while full: %s, Alt-Svc %q; want 503, %q", resp.Status, resp.Header.Get("Alt-Svc"), want)
	}
	if err := <-slept; err != nil {
		t.Error(err)
	}
	tcp.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Errorf("run returned %v", err)
	}
}
