package h3_test

import (
	"crypto/tls"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The TCP side of the one-port call is the container's epoll connector,
// as with Container.ServeTLS: a client that closes its TLS connection
// (HTTP/1.1) or resets its stream (HTTP/2) while its request is suspended
// fails the request at once with connector.ErrClientGone, not at the
// suspension's timeout, an hour away. Served through a crypto/tls
// listener, HTTP/1.1 fell back to the portable connector, which cannot
// notice, and held a goroutine per suspended request and idle connection.
func TestServeTLSOnePortClientLeavesSuspended(t *testing.T) {
	for _, proto := range []string{"http/1.1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			cert, err := devcert.New()
			if err != nil {
				t.Fatal(err)
			}
			pool, _ := devcert.Pool(cert)
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			w := handleSuspend(c)
			l, pc, err := h3.Listen("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			served := make(chan error, 1)
			go func() {
				served <- h3.ServeTLS(c, l, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{})
			}()
			defer shutDown(t, c, "ServeTLS", served)

			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{proto}}, ForceAttemptHTTP2: proto == "h2"}
			defer tr.CloseIdleConnections()
			// HTTP/1.1: the client closes the connection; HTTP/2: resets the stream.
			leaveSuspended(t, tr.RoundTrip, "https://"+addr+"/suspend", w)
		})
	}
}
