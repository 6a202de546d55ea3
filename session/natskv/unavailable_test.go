package natskv_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
	"github.com/wharf-go/wharf/session/natskv"
)

// A connection that can no longer reach the broker, closed by the program
// or by the client once the broker went away and it would not reconnect,
// fails every call with session.ErrUnavailable, the client's error kept.
func TestUnavailable(t *testing.T) {
	tests := []struct {
		name string
		cut  func(t *testing.T, b *natstest.Broker, nc *nats.Conn, closed <-chan struct{})
	}{
		{"connection closed", func(t *testing.T, _ *natstest.Broker, nc *nats.Conn, closed <-chan struct{}) {
			nc.Close()
			<-closed
		}},
		{"broker stopped, no reconnect", func(t *testing.T, b *natstest.Broker, _ *nats.Conn, closed <-chan struct{}) {
			b.Stop()
			<-closed
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := natstest.ForTestJetStream(t)
			st, nc, closed := connect(t, b)
			tc.cut(t, b, nc, closed)
			ctx := t.Context()
			const id = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			rec := session.Record{Values: map[string]string{"k": "v"}}
			_, load := st.Load(ctx, id)
			_, create := st.Save(ctx, id, rec)
			rec.Revision = 7
			_, update := st.Save(ctx, id, rec)
			del := st.Delete(ctx, id)
			for op, err := range map[string]error{"Load": load, "Save (create)": create, "Save (update)": update, "Delete": del} {
				if !errors.Is(err, session.ErrUnavailable) || !errors.Is(err, nats.ErrConnectionClosed) {
					t.Errorf("%s: %v, want session.ErrUnavailable and nats.ErrConnectionClosed", op, err)
				}
			}
		})
	}
}

// connect returns a Store on its own connection to b, which does not
// reconnect, and a channel closed once that connection is closed.
func connect(t *testing.T, b *natstest.Broker) (*natskv.Store, *nats.Conn, <-chan struct{}) {
	t.Helper()
	closed := make(chan struct{})
	nc, err := nats.Connect(b.URL, nats.NoReconnect(), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := natskv.New(t.Context(), js, natskv.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return st, nc, closed
}

// Through the Manager, a Store whose connection is closed answers 503 with
// Retry-After, the load of a session as much as the save of a new one, and
// the error pages are given session.ErrUnavailable with the client's error.
func TestManagerUnavailable(t *testing.T) {
	for _, cookie := range []bool{true, false} {
		name := map[bool]string{true: "load", false: "save"}[cookie]
		t.Run(name, func(t *testing.T) {
			b := natstest.ForTestJetStream(t)
			st, nc, closed := connect(t, b)
			nc.Close()
			<-closed
			status, retryAfter, cause := sessiontest.StoreFails(t, session.Config{Store: st, StoreTimeout: 2 * time.Second}, cookie)
			if status != http.StatusServiceUnavailable || retryAfter != "2" {
				t.Errorf("answered %d with Retry-After %q, want 503 with \"2\"", status, retryAfter)
			}
			if !errors.Is(cause, session.ErrUnavailable) || !errors.Is(cause, nats.ErrConnectionClosed) {
				t.Errorf("error page given %v, want session.ErrUnavailable and nats.ErrConnectionClosed", cause)
			}
		})
	}
}
