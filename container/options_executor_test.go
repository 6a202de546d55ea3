package container_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
)

// An executor given in the connector's configuration (WithConnector), as
// connector.Config.Executor documents it, runs the container's work as
// one given with WithExecutor does, and stays the caller's: it was
// replaced by an unbounded executor of the container's own, so that a
// bound it set on the work in flight was silently lifted.
func TestConnectorExecutorIsUsed(t *testing.T) {
	tests := []struct {
		name string
		opt  func(dispatcher.Executor) container.Option
	}{
		{"WithExecutor", container.WithExecutor},
		{"WithConnector", func(ex dispatcher.Executor) container.Option {
			return container.WithConnector(connector.Config{Executor: ex})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 4})
			defer ex.Close(context.Background())
			c := container.New(tt.opt(ex))
			c.HandleFunc("/resume", func(w api.Response, r *api.Request) error {
				cont := continuation.Of(r)
				if !cont.IsInitial() {
					_, err := w.WriteString("resumed")
					return err
				}
				cont.SetTimeout(time.Hour)
				// The re-dispatch runs on the container's executor.
				return cont.SuspendThen(func(cont continuation.Continuation) { go cont.Resume() })
			})
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- c.Serve(l) }()
			tr := &http.Transport{}
			resp, err := (&http.Client{Transport: tr}).Get("http://" + l.Addr().String() + "/resume")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			tr.CloseIdleConnections()
			if string(b) != "resumed" {
				t.Fatalf("got %q", b)
			}
			if err := c.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			<-served
			// Whether a task of this one request reaches the executor or
			// runs where it was made (a resume on its caller, the producer's
			// own) is the strategy's choice of the moment; what the
			// container reports as its executor is not.
			if st := c.Stats().Executor; st.MaxWorkers != 4 {
				t.Errorf("the container's executor has MaxWorkers %d, want the given one's 4", st.MaxWorkers)
			}
			if err := ex.Execute(dispatcher.Task{Run: func() {}}); err != nil {
				t.Errorf("the executor given was closed with the container: %v", err)
			}
		})
	}
}
