package container_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func TestGracefulShutdown(t *testing.T) {
	c := container.New()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var timeouts atomic.Int32
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		entered <- struct{}{}
		<-release
		_, err := w.WriteString("finished")
		return err
	})
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			cont.SetTimeout(time.Hour)
			cont.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) { timeouts.Add(1) }})
			return cont.Suspend()
		}
		if !cont.IsExpired() {
			return errors.New("want the expired re-dispatch")
		}
		_, err := w.WriteString("expired by shutdown")
		return err
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- c.Serve(l) }()
	url := "http://" + l.Addr().String()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	type result struct {
		body string
		err  error
	}
	fetch := func(path string) chan result {
		ch := make(chan result, 1)
		go func() {
			resp, err := client.Get(url + path)
			if err != nil {
				ch <- result{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			ch <- result{string(b), err}
		}()
		return ch
	}
	slow := fetch("/slow")
	wait := fetch("/wait")
	<-entered
	wharftest.WaitFor(t, "the request to suspend", func() bool { return c.Stats().Suspended == 1 })

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- c.Shutdown(ctx)
	}()

	// The suspended request expires through its timeout path.
	if r := <-wait; r.err != nil || r.body != "expired by shutdown" {
		t.Fatalf("suspended request: %q %v", r.body, r.err)
	}
	if timeouts.Load() != 1 {
		t.Fatalf("OnTimeout ran %d times", timeouts.Load())
	}
	// New connections are refused once the listener is closed.
	deadline := time.Now().Add(5 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", l.Addr().String(), time.Second)
		if err != nil {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting during shutdown")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	// The in-flight request finishes normally.
	close(release)
	if r := <-slow; r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q %v", r.body, r.err)
	}
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, container.ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	if st := c.Stats(); st.Active != 0 || st.Connections.Open != 0 {
		t.Fatalf("after shutdown: %+v", st)
	}
}

func TestShutdownDeadline(t *testing.T) {
	c := container.New()
	block := make(chan struct{})
	defer close(block)
	entered := make(chan struct{})
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		close(entered)
		<-block
		return nil
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go c.Serve(l)
	go http.Get("http://" + l.Addr().String() + "/")
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	c.Close()
}

func TestRequestContextCancelledOnCompletion(t *testing.T) {
	c := container.New()
	got := make(chan context.Context, 1)
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		got <- r.Context()
		return nil
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go c.Serve(l)
	defer c.Close()
	resp, err := http.Get("http://" + l.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx := <-got
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("request context not cancelled after completion")
	}
}

// Shutdown waits for the OnComplete listeners of the requests it expires,
// not only for their responses, also when the executor is the caller's
// (which the container does not close, so cannot wait for).
func TestShutdownWaitsForOnComplete(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 4})
	defer ex.Close(context.Background())
	c := container.New(container.WithExecutor(ex), container.WithLogger(wharftest.DiscardLogger()))
	var listenerDone atomic.Bool
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if !cont.IsInitial() {
			return nil
		}
		cont.SetTimeout(time.Hour)
		cont.AddListener(continuation.Listener{OnComplete: func(*api.Request, error) {
			time.Sleep(100 * time.Millisecond) // a listener with work to do
			listenerDone.Store(true)
		}})
		return cont.Suspend()
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- c.Serve(l) }()
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + l.Addr().String() + "/wait")
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	wharftest.WaitFor(t, "the request to suspend", func() bool { return c.Stats().Suspended == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !listenerDone.Load() {
		t.Fatal("Shutdown returned before the OnComplete listener ended")
	}
	<-answered
	<-served
}

// Close, called while a Shutdown waits, ends that wait, as net/http's
// Close ends its Shutdown's: the program that calls Close (say, on a
// second signal) to stop waiting for a handler stuck in its work gets
// Shutdown back, where Shutdown went on waiting for that handler, with
// a context that never ends for ever.
func TestCloseEndsShutdownWait(t *testing.T) {
	tests := []struct {
		name string
		opts []container.Option
	}{
		{"epoll", nil},
		{"portable", []container.Option{container.WithPortableConnector()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := container.New(append(tt.opts, container.WithLogger(wharftest.DiscardLogger()))...)
			entered, release := make(chan struct{}), make(chan struct{})
			defer close(release) // the stuck handler returns once the test is done
			c.HandleFunc("/", func(w api.Response, r *api.Request) error {
				close(entered)
				<-release
				return nil
			})
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- c.Serve(l) }()
			go func() {
				if resp, err := http.Get("http://" + l.Addr().String() + "/"); err == nil {
					resp.Body.Close()
				}
			}()
			<-entered
			shutdown := make(chan error, 1)
			go func() { shutdown <- c.Shutdown(context.Background()) }()
			wharftest.WaitFor(t, "Shutdown to begin", c.ShuttingDown)
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-shutdown:
				if err != nil {
					t.Errorf("Shutdown = %v after Close, want nil, as net/http's", err)
				}
			case <-time.After(wharftest.Patience):
				t.Fatal("Shutdown still waits after Close, for a handler that runs")
			}
			if err := <-served; !errors.Is(err, container.ErrServerClosed) {
				t.Errorf("Serve = %v", err)
			}
		})
	}
}

// After Shutdown or Close, every way to serve returns ErrServerClosed, as
// ErrServerClosed's doc says and net/http's do: ListenAndServe bound the
// port first (and failed with "address already in use" when another
// process had it, say the one that took over), and ServeTLS and
// ListenAndServeTLS looked for a certificate first (and failed with
// connector.ErrNoCertificate).
func TestServeAfterShutdownIsServerClosed(t *testing.T) {
	// A port in use: a ListenAndServe that tries to bind it fails otherwise.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	serves := []struct {
		name  string
		serve func(c *container.Container) error
	}{
		{"ListenAndServe", func(c *container.Container) error { return c.ListenAndServe(addr) }},
		{"ListenAndServeTLS", func(c *container.Container) error { return c.ListenAndServeTLS(addr, "", "") }},
		{"ServeTLS", func(c *container.Container) error {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			return c.ServeTLS(l, "", "")
		}},
		{"Serve", func(c *container.Container) error {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			return c.Serve(l)
		}},
	}
	ends := []struct {
		name string
		end  func(c *container.Container) error
	}{
		{"Shutdown", func(c *container.Container) error { return c.Shutdown(context.Background()) }},
		{"Close", (*container.Container).Close},
	}
	for _, s := range serves {
		for _, e := range ends {
			t.Run(s.name+" after "+e.name, func(t *testing.T) {
				c := container.New()
				if err := e.end(c); err != nil {
					t.Fatal(err)
				}
				err := s.serve(c)
				if !errors.Is(err, container.ErrServerClosed) {
					t.Errorf("%s = %v, want ErrServerClosed", s.name, err)
				}
				// The test net/http programs make after a graceful
				// shutdown, comparing with ==: anything else ends them.
				if err != http.ErrServerClosed {
					t.Errorf("%s = %v, want http.ErrServerClosed", s.name, err)
				}
			})
		}
	}
}
