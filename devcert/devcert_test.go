package devcert_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/wharf-go/wharf/devcert"
)

func TestNewVerifies(t *testing.T) {
	tests := []struct {
		hosts  []string
		verify string // a name the certificate must be valid for
		reject string // one it must not be valid for
	}{
		{nil, "localhost", "example.com"},
		{nil, "127.0.0.1", "10.0.0.1"},
		{[]string{"a.test", "192.0.2.7"}, "a.test", "b.test"},
		{[]string{"a.test", "192.0.2.7"}, "192.0.2.7", "localhost"},
	}
	for _, tc := range tests {
		cert, err := devcert.New(tc.hosts...)
		if err != nil {
			t.Fatal(err)
		}
		pool, err := devcert.Pool(cert)
		if err != nil {
			t.Fatal(err)
		}
		opts := x509.VerifyOptions{Roots: pool, CurrentTime: time.Now(), DNSName: tc.verify}
		if _, err := cert.Leaf.Verify(opts); err != nil {
			t.Errorf("hosts %v: not valid for %s: %v", tc.hosts, tc.verify, err)
		}
		opts.DNSName = tc.reject
		if _, err := cert.Leaf.Verify(opts); err == nil {
			t.Errorf("hosts %v: valid for %s too", tc.hosts, tc.reject)
		}
	}
}

func TestPEMHoldsNoKey(t *testing.T) {
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	b := devcert.PEM(cert)
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" || len(rest) != 0 {
		t.Fatalf("PEM = %q", b)
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
	if _, err := devcert.Pool(tls.Certificate{}); err == nil {
		t.Fatal("Pool of an empty certificate")
	}
}
