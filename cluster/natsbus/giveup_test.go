package natsbus_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A broker that refuses the Bus's credentials makes nats.go give up for
// good: the Bus says so in the log, with the broker's reason, rather than
// only that the broker is "not reachable yet". Close still does not log
// it (that end is asked for).
func TestGivingUpLogged(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(wharftest.Patience) {
		t.Fatal("the broker did not start")
	}
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
