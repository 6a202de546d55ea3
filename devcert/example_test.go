package devcert_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
)

// Serve HTTPS on localhost with a certificate made at start, and a client
// that trusts it (curl would take devcert.PEM's bytes with --cacert).
func Example() {
	cert, err := devcert.New() // localhost, 127.0.0.1 and ::1
	if err != nil {
		panic(err)
	}
	c := container.New(
		container.WithLogger(slog.New(slog.DiscardHandler)),
		container.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}),
	)
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello over %s", r.Proto())
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.ServeTLS(l, "", "")
	defer c.Shutdown(context.Background())

	pool, err := devcert.Pool(cert)
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
	}}
	resp, err := client.Get("https://localhost:" + fmt.Sprint(l.Addr().(*net.TCPAddr).Port) + "/hello")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Proto, string(body))
	// Output:
	// HTTP/2.0 hello over HTTP/2.0
}
