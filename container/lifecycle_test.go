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
