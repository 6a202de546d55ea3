package connector_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

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

// Every limit works at its zero value; a container takes the ones it is
// given.
func ExampleConfig_limits() {
	c := container.New(container.WithConnector(connector.Config{
		MaxHeaderBytes:    8 << 10,
		MaxConnections:    20000,
		ReadHeaderTimeout: 5 * time.Second,
	}))
	cfg := c.ConnectorConfig()
	fmt.Println(cfg.MaxHeaderBytes, cfg.MaxConnections, cfg.ReadHeaderTimeout)
	// Output:
	// 8192 20000 5s
}

// A connector's limits, given to a container with WithConnector: a
// request over one is answered by the connector itself, before any
// filter or handler runs.
func ExampleConfig() {
	c := container.New(container.WithConnector(connector.Config{
		MaxURILength:   64,
		MaxHeaderBytes: 1 << 10,
		MaxBodyBytes:   16,
	}))
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "ok")
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	base := "http://" + l.Addr().String()

	show := func(name string, req *http.Request) {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(name, resp.Status)
	}
	req, _ := http.NewRequest("GET", base+"/", nil)
	show("small:", req)
	req, _ = http.NewRequest("GET", base+"/?q="+strings.Repeat("x", 100), nil)
	show("long URI:", req)
	req, _ = http.NewRequest("GET", base+"/", nil)
	req.Header.Set("Cookie", strings.Repeat("x", 2<<10))
	show("large header:", req)
	req, _ = http.NewRequest("POST", base+"/", strings.NewReader(strings.Repeat("x", 100)))
	show("large body:", req)
	// Output:
	// small: 200 OK
	// long URI: 414 Request URI Too Long
	// large header: 431 Request Header Fields Too Large
	// large body: 413 Request Entity Too Large
}

// hello answers every request on the stream itself: a Handler is what
// a container is to the connector, and a program that needs none of a
// container's mapping, filters or error pages can be its own.
type hello struct{}

func (hello) ServeStream(s connector.Stream) {
	body := "hello, " + s.Request().Path
	s.WriteHead(http.StatusOK, "text/plain; charset=utf-8", nil, int64(len(body)), nil)
	s.WriteBody([]byte(body))
	s.Finish(nil)
}

// A connector without a container, serving HTTP/1.1 with a Handler of its
// own; Shutdown drains it as a container's does.
func ExampleServer() {
	srv := &connector.Server{Handler: hello{}}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	resp, err := http.Get("http://" + l.Addr().String() + "/world")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"), string(b))

	fmt.Println(srv.Shutdown(context.Background()), <-served)
	// Output:
	// 200 OK text/plain; charset=utf-8 hello, /world
	// <nil> http: Server closed
}
