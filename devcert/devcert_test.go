package devcert_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
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

func TestNewRefusesNonHosts(t *testing.T) {
	for _, h := range []string{"", "localhost:8443", "127.0.0.1:8443", "[::1]", "[::1]:8443", "https://localhost", "a b.test"} {
		if cert, err := devcert.New("localhost", h); err == nil {
			t.Errorf("New(%q) = a certificate for %v %v, want an error", h, cert.Leaf.DNSNames, cert.Leaf.IPAddresses)
		}
	}
	for _, h := range []string{"localhost", "*.a.test", "::1", "192.0.2.7", "fe80::1"} {
		if _, err := devcert.New(h); err != nil {
			t.Errorf("New(%q): %v", h, err)
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

// WriteFiles leaves the key readable by its owner alone whatever was at
// its path: a key.pem left there with a wider mode, or a link to a file
// elsewhere, which must not receive the key.
func TestWriteFilesOwnerOnly(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir, elsewhere string)
	}{
		{"new", func(*testing.T, string, string) {}},
		{"existing readable by all", func(t *testing.T, dir, _ string) {
			for _, f := range []string{"cert.pem", "key.pem"} {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"link elsewhere", func(t *testing.T, dir, elsewhere string) {
			if err := os.Symlink(elsewhere, filepath.Join(dir, "key.pem")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			elsewhere := filepath.Join(t.TempDir(), "shared.txt")
			if err := os.WriteFile(elsewhere, []byte("shared"), 0o644); err != nil {
				t.Fatal(err)
			}
			tc.prepare(t, dir, elsewhere)
			certFile, keyFile, err := devcert.WriteFiles(dir, cert)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{certFile, keyFile} {
				fi, err := os.Lstat(f)
				if err != nil {
					t.Fatal(err)
				}
				if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v, want a regular file, -rw-------", filepath.Base(f), fi.Mode())
				}
			}
			if b, err := os.ReadFile(elsewhere); err != nil || string(b) != "shared" {
				t.Errorf("the file key.pem linked to holds %q (%v)", b, err)
			}
			if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
				t.Fatal(err)
			}
		})
	}
}
