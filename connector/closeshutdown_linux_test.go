package connector_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Close, called while Shutdown waits for a request still running, ends
// that wait, as net/http's Close ends its Shutdown's: Shutdown returns
// then, and the requests left are Close's, however long their handlers run.
func TestCloseEndsShutdownWait(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		looked := make(chan struct{})
		cfg = connector.AfterShutdownLooks(cfg, func() { close(looked) })
		d := startDeaf(t, cfg, 4) // some run on the executor's workers, not the selector's goroutine
		shut := make(chan error, 1)
		go func() { shut <- d.srv.Shutdown(context.Background()) }()
		<-looked // Shutdown waits for the running requests now
		closed := make(chan struct{})
		go func() { d.srv.Close(); close(closed) }()
		defer func() { <-closed }()
		select {
		case err := <-shut:
			if err != nil {
				t.Errorf("Shutdown ended by Close: %v, want nil", err)
			}
		case <-time.After(wharftest.Patience):
			t.Error("Shutdown still waits for the running requests after Close")
			defer func() { <-shut }() // it ends with the handlers
		}
		close(d.release)
		if err := <-d.served; !errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
}
