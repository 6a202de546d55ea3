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

// A Shutdown that runs out of time leaves the connections it gave up on to
// finish, as net/http's does; once the last of them closes, nothing of the
// server is left: its selectors' goroutines and descriptors (epoll,
// timerfd, eventfd) go too, without a Close.
func TestShutdownOutOfTimeLeavesNothingOnceDrained(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		before := pollDescriptors(t)
		d := startDeaf(t, cfg, 1)
		srv, nc := d.srv, d.conns[0]
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // out of time at once: the request is still running
		if err := srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Shutdown: %v, want %v", err, context.Canceled)
		}
		if err := <-d.served; !errors.Is(err, connector.ErrServerClosed) {
			t.Fatalf("Serve: %v", err)
		}
		close(d.release)
		nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		if body, err := io.ReadAll(resp.Body); string(body) != "ok" || err != nil || !resp.Close {
			t.Fatalf("the request Shutdown gave up on: %q, %v, close %v", body, err, resp.Close)
		}
		wharftest.WaitFor(t, "the selectors' descriptors to close", func() bool { return pollDescriptors(t) == before })
	})
}

// pollDescriptors counts the process's epoll, timerfd and eventfd
// descriptors: a selector holds one of each.
func pollDescriptors(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	n := 0
	for _, e := range es {
		switch l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l {
		case "anon_inode:[eventpoll]", "anon_inode:[timerfd]", "anon_inode:[eventfd]":
			n++
		}
	}
	return n
}
