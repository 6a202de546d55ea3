package connector_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
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

// Stats and Shutdown read the one connection state on both connectors:
// connections waiting for a request are counted idle, and Shutdown closes
// them at once, while requests racing it on other connections are either
// served or refused before they started (a closed connection), never left
// hanging.
func TestShutdownIdleRace(t *testing.T) {
	eachConnector(t, connector.Config{IdleTimeout: time.Hour}, func(t *testing.T, cfg connector.Config) {
		for range 5 {
			shutdownIdleRace(t, cfg)
		}
	})
}

func shutdownIdleRace(t *testing.T, cfg connector.Config) {
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
	const n = 10
	ncs := make([]net.Conn, n)
	brs := make([]*bufio.Reader, n)
	for i := range ncs {
		if ncs[i], err = net.Dial("tcp", l.Addr().String()); err != nil {
			t.Fatal(err)
		}
		defer ncs[i].Close()
		ncs[i].SetDeadline(time.Now().Add(10 * time.Second))
		brs[i] = bufio.NewReader(ncs[i])
		if err := getHello(ncs[i], brs[i]); err != nil {
			t.Fatal(err)
		}
	}
	wharftest.WaitFor(t, "idle connections", func() bool { return c.Stats().Connections.Idle == n })
	var wg sync.WaitGroup
	for i := range n / 2 {
		wg.Go(func() {
			// Served, or closed before it started: either is fine; a
			// hang is not (the deadline fails the read).
			if err := getHello(ncs[i], brs[i]); err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("request racing Shutdown: %v", err)
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	wg.Wait()
	<-served
	if st := c.Stats().Connections; st.Open != 0 || st.Idle != 0 {
		t.Fatalf("after Shutdown: %+v", st)
	}
	for i := n / 2; i < n; i++ { // idle all along: closed, never answered
		if _, err := brs[i].ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("idle connection %d after Shutdown: read %v, want it closed", i, err)
		}
	}
}
