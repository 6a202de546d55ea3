package container_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// ListenAndServeTLS serves HTTPS with the PEM files it is given until
// Shutdown, and without a certificate fails at once and leaves its port
// free.
func TestListenAndServeTLS(t *testing.T) {
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}

	addr := free()
	c := container.New()
	if err := c.ListenAndServeTLS(addr, "", ""); !errors.Is(err, connector.ErrNoCertificate) {
		t.Fatalf("without a certificate: %v, want ErrNoCertificate", err)
	}
	l, err := net.Listen("tcp", addr) // the port was given back
	if err != nil {
		t.Fatalf("the port is still taken: %v", err)
	}
	l.Close()
	c.Shutdown(context.Background())

	cert, err := devcert.New("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := devcert.WriteFiles(t.TempDir(), cert)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := devcert.Pool(cert)
	if err != nil {
		t.Fatal(err)
	}
	c = container.New()
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello over " + r.Proto())
		return err
	})
	// The port free() found may be taken again before ListenAndServeTLS
	// listens (by a test binary beside this one): then try another.
	served := make(chan error, 1)
	for range 5 {
		addr = free()
		go func() { served <- c.ListenAndServeTLS(addr, certFile, keyFile) }()
		var err error
		select {
		case err = <-served:
		case <-time.After(100 * time.Millisecond): // listening, or about to
		}
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatal(err)
		}
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	var body string
	wharftest.WaitFor(t, "an answer over TLS", func() bool {
		resp, err := (&http.Client{Transport: tr}).Get("https://" + addr + "/hello")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		return true
	})
	if body != "hello over HTTP/2.0" {
		t.Errorf("body %q", body)
	}
	tr.CloseIdleConnections()
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, container.ErrServerClosed) {
		t.Errorf("ListenAndServeTLS after Shutdown: %v, want ErrServerClosed", err)
	}
}
