package http2_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/connector/http2"
)

// hello answers every request on its stream, over HTTP/1.1 and HTTP/2
// alike: both protocols implement connector.Stream.
type hello struct{}

func (hello) ServeStream(s connector.Stream) {
	body := "hello over " + s.Request().Proto
	s.WriteHead(http.StatusOK, "text/plain; charset=utf-8", nil, int64(len(body)), nil)
	s.WriteBody([]byte(body))
	s.Finish(nil)
}

// A connector used without a container serves HTTP/2 once it is given a
// Server as its Config.HTTP2 (container.New does that itself): here in
// cleartext (H2C) for a client that knows the server speaks it, and
// HTTP/1.1 for the others, on one listener.
func ExampleServer() {
	srv := &connector.Server{
		Handler: hello{},
		Config:  connector.Config{HTTP2: &http2.Server{}, H2C: true},
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	for _, tr := range []*http.Transport{h2c, {}} {
		resp, err := (&http.Client{Transport: tr}).Get("http://" + l.Addr().String() + "/")
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		fmt.Println(string(b))
	}
	fmt.Println(srv.Shutdown(context.Background()), <-served)
	// Output:
	// hello over HTTP/2.0
	// hello over HTTP/1.1
	// <nil> http: Server closed
}
