package container_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// fakeServer is a container.Server whose Shutdown waits for release (or
// its context) and returns err.
type fakeServer struct {
	release            chan struct{}
	err                error
	shutdowns, closes  atomic.Int32
	shutdownCtxExpired atomic.Bool
}

func newFakeServer(err error) *fakeServer {
	return &fakeServer{release: make(chan struct{}), err: err}
}

func (s *fakeServer) Shutdown(ctx context.Context) error {
	s.shutdowns.Add(1)
	select {
	case <-s.release:
		return s.err
	case <-ctx.Done():
		s.shutdownCtxExpired.Store(true)
		return ctx.Err()
	}
}

func (s *fakeServer) Close() error { s.closes.Add(1); return nil }

func TestRegisterServer(t *testing.T) {
	t.Run("shutdown waits for it and returns its error", func(t *testing.T) {
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		s := newFakeServer(errors.New("h3 failed"))
		if _, err := c.RegisterServer(s); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Shutdown(context.Background()) }()
		select {
		case err := <-done:
			t.Fatalf("Shutdown returned %v before the server's Shutdown did", err)
		case <-time.After(50 * time.Millisecond):
		}
		close(s.release)
		if err := <-done; err == nil || err.Error() != "h3 failed" {
			t.Fatalf("Shutdown = %v, want the server's error", err)
		}
		c.Close() // ends what a Shutdown out of time left
		if s.shutdowns.Load() != 1 || s.closes.Load() != 1 {
			t.Errorf("%d Shutdowns, %d Closes, want 1 each", s.shutdowns.Load(), s.closes.Load())
		}
	})
	t.Run("shutdown passes its context", func(t *testing.T) {
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		s := newFakeServer(nil)
		c.RegisterServer(s)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if err := c.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want context.DeadlineExceeded", err)
		}
		if !s.shutdownCtxExpired.Load() {
			t.Error("the server's Shutdown did not get the container's context")
		}
		c.Close()
	})
	t.Run("close", func(t *testing.T) {
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		s := newFakeServer(nil)
		c.RegisterServer(s)
		c.Close()
		if s.closes.Load() != 1 || s.shutdowns.Load() != 0 {
			t.Errorf("%d Shutdowns, %d Closes, want 0 and 1", s.shutdowns.Load(), s.closes.Load())
		}
	})
	t.Run("unregistered", func(t *testing.T) {
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		s := newFakeServer(nil)
		unregister, _ := c.RegisterServer(s)
		unregister()
		unregister() // again: nothing
		c.Close()
		if s.closes.Load() != 0 || s.shutdowns.Load() != 0 {
			t.Errorf("%d Shutdowns, %d Closes of an unregistered server", s.shutdowns.Load(), s.closes.Load())
		}
	})
	t.Run("after shutdown", func(t *testing.T) {
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		c.Close()
		if u, err := c.RegisterServer(newFakeServer(nil)); !errors.Is(err, connector.ErrServerClosed) || u != nil {
			t.Fatalf("RegisterServer after Close = %v, want connector.ErrServerClosed", err)
		}
	})
}

// A server registered while another goroutine shuts the container down is
// either refused or shut down: never left running.
func TestRegisterServerRacesShutdown(t *testing.T) {
	for range 200 {
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		s := newFakeServer(nil)
		close(s.release)
		registered := make(chan error, 1)
		go func() {
			_, err := c.RegisterServer(s)
			registered <- err
		}()
		c.Shutdown(context.Background())
		if err := <-registered; err == nil && s.shutdowns.Load() != 1 {
			t.Fatal("a server registered before the shutdown listed its servers was not shut down")
		}
	}
}
