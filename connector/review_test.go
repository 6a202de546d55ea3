package connector_test

import (
	"bufio"
	"context"
	"fmt"
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

// A body read on a goroutine of the handler, which sends "100 Continue",
// runs while the handler writes its response head: the interim answer and
// the head never interleave, and -race sees no unsynchronised state.
func TestContinueWhileWriting(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
		c.HandleFunc("/duplex", func(w api.Response, r *api.Request) error {
			var wg sync.WaitGroup
			var got []byte
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, _ = io.ReadAll(r.Body())
			}()
			w.Header().Set("X-Early", "yes")
			if err := w.Flush(); err != nil { // commits the head at once
				return err
			}
			wg.Wait()
			_, err := fmt.Fprintf(w, "%d", len(got))
			return err
		})
		addr := listen(t, c)
		for range 20 {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			nc.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprint(nc, "POST /duplex HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
			br := bufio.NewReader(nc)
			// Whatever came first (100 or the head), send the body.
			nc.Write([]byte("hello"))
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == 100 {
				if resp, err = http.ReadResponse(br, nil); err != nil {
					t.Fatal(err)
				}
			}
			b, err := io.ReadAll(resp.Body)
			nc.Close()
			if err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Early") != "yes" {
				t.Fatalf("status %d, header %v, body %q, %v", resp.StatusCode, resp.Header, b, err)
			}
			// The body was either read (5) or the head went first and the
			// body was not invited: both are valid, nothing else is.
			if s := string(b); s != "5" && s != "0" {
				t.Fatalf("body %q", s)
			}
		}
	})
}

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

// "OPTIONS *" asks about the server: 200 with no body, on both connectors;
// another method with the asterisk form is a 400.
func TestOptionsAsterisk(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
		addr := listen(t, c)
		resps, bodies, _ := roundTrip(t, addr, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nGET * HTTP/1.1\r\nHost: x\r\n\r\n", 2)
		if resps[0].StatusCode != 200 || bodies[0] != "" || resps[0].ContentLength != 0 {
			t.Errorf("OPTIONS *: %s %q", resps[0].Status, bodies[0])
		}
		if resps[1].StatusCode != 400 {
			t.Errorf("GET *: %s", resps[1].Status)
		}
	})
}
