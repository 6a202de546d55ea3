package container_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// tracker is what a container's request state offers a connection taken
// over from the request (package websocket uses it).
type tracker interface {
	TrackTakenOver(c interface {
		Shutdown()
		Done() <-chan struct{}
	}) interface{ Untrack() }
}

// takenConn is a taken-over connection for the tracker: told is closed
// by Shutdown, done by the test once the connection has ended.
type takenConn struct{ told, done chan struct{} }

func (c takenConn) Shutdown()             { close(c.told) }
func (c takenConn) Done() <-chan struct{} { return c.done }

// A connection taken over from a request joins the graceful shutdown:
// Shutdown tells it to close (once, though Close follows), then waits for
// it to end, within its context; one that never ends holds Shutdown until
// the context does; one taken over by a request still running when
// Shutdown began is told as it joins.
func TestShutdownWaitsForTakenOverConnections(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ends    bool // the connection ends when told to
		late    bool // the request takes over once Shutdown has begun
		wantErr error
	}{
		{"ends when told", true, false, nil},
		{"never ends", false, false, context.DeadlineExceeded},
		{"taken over during Shutdown", true, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			told := make(chan struct{})
			entered := make(chan struct{})
			done := make(chan struct{})
			var nc net.Conn
			c.HandleFunc("/take", func(w api.Response, r *api.Request) error {
				tr, ok := r.Exchange().(tracker)
				if !ok {
					t.Error("the request's Exchange offers no TrackTakenOver")
					return nil
				}
				if tc.late {
					close(entered)
					for !c.ShuttingDown() {
						time.Sleep(time.Millisecond)
					}
				}
				var err error
				if nc, _, err = api.Hijack(w); err != nil {
					return err
				}
				// Tracked before the client can see the switch: from the
				// Hijack the request no longer holds Shutdown.
				tracked := tr.TrackTakenOver(takenConn{told, done})
				io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
				go func() {
					<-told
					if tc.ends {
						nc.Close()
						close(done)
						tracked.Untrack()
						tracked.Untrack() // again: nothing
					}
				}()
				return nil
			})
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan struct{})
			go func() { defer close(served); c.Serve(l) }()
			client, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			io.WriteString(client, "GET /take HTTP/1.1\r\nHost: x\r\n\r\n")
			if tc.late {
				<-entered
			} else {
				var b [64]byte
				if _, err := client.Read(b[:]); err != nil {
					t.Fatal(err)
				}
			}
			// A connection that ends may take its time on a busy machine;
			// one that never ends holds Shutdown for the whole context.
			timeout := wharftest.Patience
			if tc.wantErr != nil {
				timeout = 300 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			err = c.Shutdown(ctx)
			select {
			case <-told:
			default:
				t.Error("Shutdown did not tell the connection to close")
			}
			if err != tc.wantErr {
				t.Errorf("Shutdown: %v, want %v", err, tc.wantErr)
			}
			if !tc.ends {
				nc.Close()
				close(done)
			}
			c.Close()
			<-served
		})
	}
}
