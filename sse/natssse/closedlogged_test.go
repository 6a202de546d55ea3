package natssse_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// chanHandler hands each record to a channel, so that a test waits for
// the one it expects.
type chanHandler struct{ c chan slog.Record }

func (h chanHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h chanHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.c <- r:
	default:
	}
	return nil
}
func (h chanHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h chanHandler) WithGroup(string) slog.Handler      { return h }

// A connection closed for good (nats.go gave up on the broker: here it is
// closed) leaves the instance's streams silent for as long as the process
// runs, though the broker be back: the log says so, and what keeps a
// connection from giving up, where it said only "nats: connection closed",
// as of any trouble its consumer gets over by itself.
func TestConnectionClosedLogged(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	nc, js := nb.Connect(t)
	h := chanHandler{c: make(chan slog.Record, 16)}
	l, err := natssse.New(t.Context(), js, natssse.Config{Stream: "GONE", Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Open(func(string, sse.Event) {}); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case r := <-h.c:
			if r.Level == slog.LevelError && strings.Contains(r.Message, "closed for good") && strings.Contains(r.Message, "nats.MaxReconnects(-1)") {
				return
			}
			t.Logf("logged: %s %s", r.Level, r.Message)
		case <-timeout:
			t.Fatal("no record saying the connection is closed for good")
		}
	}
}
