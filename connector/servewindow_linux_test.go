package connector_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Serve returns ErrServerClosed after Shutdown or Close, whenever they
// come: also when they stop the selectors between Serve starting them and
// its listener joining one, where the listener's registration fails on
// the closed listener and poller.
func TestServeClosedBeforeListening(t *testing.T) {
	stops := []struct {
		name string
		stop func(*connector.Server) error
	}{
		{"Close", func(s *connector.Server) error { return s.Close() }},
		{"Shutdown", func(s *connector.Server) error {
			ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
			defer cancel()
			return s.Shutdown(ctx)
		}},
	}
	for _, st := range stops {
		t.Run(st.name, func(t *testing.T) {
			srv := &connector.Server{Handler: streamFunc(func(s connector.Stream) { s.Abort(nil) })}
			srv.Config = connector.BeforeListen(connector.Config{}, func() {
				if err := st.stop(srv); err != nil {
					t.Errorf("%s: %v", st.name, err)
				}
			})
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(l) }()
			select {
			case err := <-done:
				if !errors.Is(err, connector.ErrServerClosed) {
					t.Errorf("Serve returned %v, want ErrServerClosed", err)
				}
			case <-time.After(wharftest.Patience):
				t.Fatal("Serve did not return")
			}
		})
	}
}
