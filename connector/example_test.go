package connector_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
)

// A listener of TLS connections with a tls.Config of your own: served as
// ServeTLS serves, on the epoll connector's selectors, where a crypto/tls
// listener (tls.NewListener) would hold a goroutine per connection.
func ExampleNewTLSListener() {
	cert, err := devcert.New("127.0.0.1")
	if err != nil {
		fmt.Println(err)
		return
	}
	pool, _ := devcert.Pool(cert)
	c := container.New()
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello over %s", r.Proto())
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	go c.Serve(connector.NewTLSListener(l, cfg))
	defer c.Shutdown(context.Background())

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + l.Addr().String() + "/hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output: hello over HTTP/2.0
}

// The TLS configuration ServeTLS would serve with, for a listener of your
// own: with DisableHTTP2, "h2" is not offered, even where the given
// configuration lists it.
func ExampleConfig_ServerTLSConfig() {
	base := &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	for _, cfg := range []connector.Config{
		container.New().ConnectorConfig(),
		{DisableHTTP2: true},
	} {
		tc := cfg.ServerTLSConfig(base)
		fmt.Println(tc.NextProtos, tc.MinVersion == tls.VersionTLS12)
	}
	fmt.Println(base.NextProtos)
	// Output:
	// [h2 http/1.1] true
	// [http/1.1] true
	// [h2 http/1.1]
}
