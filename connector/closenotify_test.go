package connector_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// On the portable connector, crypto/tls's Close waits up to 5 s to send
// close_notify: a Shutdown whose context ends first, or a Close, does not
// wait that long for an idle TLS connection whose client does not read,
// while a client that reads still gets close_notify, the end of the
// stream rather than a truncation. Shutdown waited the 5 s for each such
// connection, whatever its context, and Close as long.
func TestPortableTLSCloseNotifyWait(t *testing.T) {
	cert := mustCert(t) // outside the bubble: the certificate's validity starts now
	shutdown := func(c *container.Container) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c.Shutdown(ctx)
	}
	closeNow := func(c *container.Container) { c.Close() }
	for _, tc := range []struct {
		name   string
		stop   func(c *container.Container)
		reads  bool
		atMost time.Duration // how long stop may take, on the bubble's clock
	}{
		{"Shutdown, client reads", shutdown, true, 0},
		{"Shutdown, client does not read", shutdown, false, time.Second},
		{"Close, client reads", closeNow, true, 0},
		{"Close, client does not read", closeNow, false, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := container.New(container.WithLogger(wharftest.DiscardLogger()))
				c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
					_, err := io.WriteString(w, "hello")
					return err
				})
				l := wharftest.NewPipeListener()
				served := make(chan error, 1)
				go func() {
					served <- c.Serve(connector.NewTLSListener(l, &tls.Config{Certificates: []tls.Certificate{cert}}))
				}()
				raw, err := l.Dial(context.Background(), "", "")
				if err != nil {
					t.Fatal(err)
				}
				defer raw.Close()
				nc := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
				br := bufio.NewReader(nc)
				if err := getHello(nc, br); err != nil {
					t.Fatal(err)
				}
				end := make(chan error, 1)
				if tc.reads {
					go func() {
						_, err := br.ReadByte()
						end <- err
					}()
				}
				synctest.Wait() // the connection is idle, its client reading or not

				start := time.Now()
				tc.stop(c)
				if took := time.Since(start); took > tc.atMost {
					t.Errorf("took %v, want at most %v", took, tc.atMost)
				}
				if tc.reads {
					if err := <-end; !errors.Is(err, io.EOF) {
						t.Errorf("the client read %v, want io.EOF (close_notify)", err)
					}
				}
				raw.Close()
				if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
					t.Errorf("Serve returned %v", err)
				}
			})
		})
	}
}
