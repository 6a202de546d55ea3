package h3_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
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
			suspended := make(chan struct{}, 1)
			completed := make(chan error, 1)
			c.HandleFunc("/suspend", func(w api.Response, r *api.Request) error {
				cont := continuation.Of(r)
				if !cont.IsInitial() {
					_, err := w.WriteString("expired")
					return err
				}
				cont.SetTimeout(time.Hour) // only the client leaving can end the wait
				cont.AddListener(continuation.Listener{
					OnComplete: func(_ *api.Request, err error) { completed <- err },
				})
				err := cont.Suspend()
				suspended <- struct{}{}
				return err
			})
			l, pc, err := h3.Listen("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			served := make(chan error, 1)
			go func() {
				served <- h3.ServeTLS(c, l, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{})
			}()
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
				defer cancel()
				if err := c.Shutdown(ctx); err != nil {
					t.Errorf("Shutdown: %v", err)
					c.Close()
				}
				if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
					t.Errorf("ServeTLS returned %v", err)
				}
			}()

			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{proto}}, ForceAttemptHTTP2: proto == "h2"}
			defer tr.CloseIdleConnections()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, "GET", "https://"+addr+"/suspend", nil)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				resp, err := tr.RoundTrip(req)
				if err == nil {
					resp.Body.Close()
					err = fmt.Errorf("answered %s", resp.Status)
				}
				done <- err
			}()
			<-suspended
			cancel() // HTTP/1.1: the client closes the connection; HTTP/2: resets the stream
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("the client's request ended with %v, want context.Canceled", err)
			}
			select {
			case err := <-completed:
				if !errors.Is(err, connector.ErrClientGone) {
					t.Errorf("OnComplete got %v, want connector.ErrClientGone", err)
				}
			case <-time.After(wharftest.Patience):
				t.Fatal("the suspended request did not end when its client left")
			}
		})
	}
}
