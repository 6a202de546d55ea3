package devcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf-go/wharf/internal/replacefile"
)

// New returns a self-signed certificate for hosts (DNS names or IP
// addresses; "localhost", "127.0.0.1" and "::1" if none), with an ECDSA
// P-256 key made now. A host that is neither (empty, or with a port, a
// scheme or brackets: "localhost:8443", "[::1]") is refused. Any goroutine
// may call it.
func New(hosts ...string) (tls.Certificate, error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	for _, h := range hosts {
		// x509 takes any string as a DNS name: "localhost:8443" (an
		// address passed for a host) would make a certificate that no
		// client's name ever matches, and the mistake would show only as
		// a verification failure at the client.
		if net.ParseIP(h) == nil && (h == "" || strings.ContainsAny(h, ":/[]@ \t")) {
			return tls.Certificate{}, fmt.Errorf("devcert: %q is neither a DNS name nor an IP address", h)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Wharf development"}, CommonName: hosts[0]},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// Pool returns a pool that trusts cert, for a client's tls.Config.RootCAs.
func Pool(cert tls.Certificate) (*x509.CertPool, error) {
	leaf, err := leafOf(cert)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	p.AddCert(leaf)
	return p, nil
}

// PEM returns cert's certificate (not its key) PEM-encoded, for clients
// such as curl that read trusted roots from a file.
func PEM(cert tls.Certificate) []byte {
	if len(cert.Certificate) == 0 {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
}

// WriteFiles writes cert and its private key (PKCS #8) as PEM files
// cert.pem and key.pem in dir, readable by the owner only, for tests that
// serve from files. Give it a temporary directory: keys are not to be
// kept.
func WriteFiles(dir string, cert tls.Certificate) (certFile, keyFile string, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := writeNew(certFile, PEM(cert)); err != nil {
		return "", "", err
	}
	if err := writeNew(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

func leafOf(cert tls.Certificate) (*x509.Certificate, error) {
	if cert.Leaf != nil {
		return cert.Leaf, nil
	}
	if len(cert.Certificate) == 0 {
		return nil, errors.New("devcert: certificate has no data")
	}
	return x509.ParseCertificate(cert.Certificate[0])
}

// writeNew writes b as path's new contents through package replacefile,
// not os.WriteFile: that would keep the mode of a key.pem already there
// (left readable by all), or write the key through a link there into
// whatever file it points to.
func writeNew(path string, b []byte) error {
	return replacefile.Write(path, ".devcert-*", func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
