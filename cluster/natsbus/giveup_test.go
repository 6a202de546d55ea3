package natsbus_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/wharf-go/wharf/cluster"
	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A broker that refuses the Bus's credentials makes nats.go give up for
// good: the Bus says so in the log, with the broker's reason, rather than
// only that the broker is "not reachable yet". Close still does not log
// it (that end is asked for).
func TestGivingUpLogged(t *testing.T) {
	ns := authBroker(t)
	// gaveUp returns the error the record saying so gave, if any.
	gaveUp := func(rec *wharftest.LogRecorder) (string, bool) {
		for _, r := range rec.Records() {
			if r.Level == slog.LevelError && strings.Contains(r.Message, "gave up") {
				return r.Attrs["err"].String(), true
			}
		}
		return "", false
	}

	rec, logger := wharftest.NewLogRecorder()
	b := givenUp(t, ns, logger)
	if reason, ok := gaveUp(rec); !ok || !strings.Contains(strings.ToLower(reason), "authorization violation") {
		t.Errorf("the Bus did not log that it gave up, and why; it logged %v", rec.Records())
	}
	if err := b.Publish(t.Context(), "x", nil); !errors.Is(err, natsbus.ErrNotConnected) {
		t.Errorf("Publish after giving up: %v", err)
	}

	// Close is not giving up.
	rec, logger = wharftest.NewLogRecorder()
	ok := connect(t, ns.ClientURL(), natsbus.Config{Logger: logger, Options: []nats.Option{nats.UserInfo("u", "p")}})
	wharftest.WaitFor(t, "the bus to connect", func() bool { return ok.Stats().Connected })
	ok.Close()
	if _, ok := gaveUp(rec); ok {
		t.Errorf("Close logged giving up: %v", rec.Records())
	}
}

// authBroker starts a broker that takes the user "u" with the password
// "p" only, shut down when the test ends.
func authBroker(t *testing.T) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(wharftest.Patience) {
		t.Fatal("the broker did not start")
	}
	return ns
}

// givenUp returns a Bus on ns with the wrong password, once nats.go has
// given up on it.
func givenUp(t *testing.T, ns *server.Server, logger *slog.Logger) *natsbus.Bus {
	t.Helper()
	closed := make(chan struct{})
	b := connect(t, ns.ClientURL(), natsbus.Config{Logger: logger, Options: []nats.Option{
		nats.UserInfo("u", "wrong"),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }), // called after the Bus's own
	}})
	select {
	case <-closed:
	case <-time.After(wharftest.Patience):
		t.Fatal("nats.go did not give up on refused credentials")
	}
	return b
}

// Once nats.go has given up on the broker, Publish and Subscribe fail
// with errors that say so, through ErrGaveUp, nats.go's error kept in the
// chain: Subscribe returned nats.go's bare "connection closed", which
// matched none of the package's sentinels. After Close, they say the Bus
// is closed, as any cluster.Bus does.
func TestGivingUpErrors(t *testing.T) {
	b := givenUp(t, authBroker(t), wharftest.DiscardLogger())

	in := &inbox{}
	if _, err := b.Subscribe("x", in.add); !errors.Is(err, natsbus.ErrGaveUp) || !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("Subscribe after giving up = %v, want an error wrapping natsbus.ErrGaveUp and nats.ErrConnectionClosed", err)
	} else if errors.Is(err, cluster.ErrNotDelivered) || errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Subscribe after giving up = %v: no event was lost, and the Bus is not closed", err)
	}
	err := b.Publish(t.Context(), "x", nil)
	for _, want := range []error{natsbus.ErrGaveUp, natsbus.ErrNotConnected, cluster.ErrNotDelivered, nats.ErrConnectionClosed} {
		if !errors.Is(err, want) {
			t.Errorf("Publish after giving up = %v, want an error wrapping %q", err, want)
		}
	}
	if in.len() != 0 {
		t.Errorf("the failed subscription got %d events", in.len())
	}
	if st := b.Stats(); st.Lost != 1 || st.Connected {
		t.Errorf("stats after giving up %+v, want 1 lost", st)
	}

	b.Close()
	if _, err := b.Subscribe("x", in.add); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want cluster.ErrClosed", err)
	}
	if err := b.Publish(t.Context(), "x", nil); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Publish after Close = %v, want cluster.ErrClosed", err)
	}
}
