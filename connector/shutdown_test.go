package connector_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Shutdown closes keep-alive connections that turn idle while it runs, not
// at their idle timeout: clients busy on keep-alive connections do not hold
// it up.
func TestShutdownUnderKeepAliveLoad(t *testing.T) {
	eachConnector(t, connector.Config{IdleTimeout: time.Hour}, func(t *testing.T, cfg connector.Config) {
		c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
		c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("hello")
			return err
		})
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- c.Serve(l) }()
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					return
				}
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := io.WriteString(nc, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
						return
					}
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						return
					}
					io.Copy(io.Discard, resp.Body)
					if resp.Close {
						return
					}
				}
			}()
		}
		time.Sleep(50 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = c.Shutdown(ctx)
		close(stop)
		wg.Wait()
		<-served
		if err != nil {
			t.Fatalf("Shutdown: %v (a keep-alive connection was left open)", err)
		}
	})
}
