package natssse_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// Once the Log's connection is closed for good, each of its errors, and
// New's, wraps ErrConnectionClosed and nats.ErrConnectionClosed: the
// first Append on a closed connection returned nats.go's error formatted
// into its own, which matched neither (nats.go could not subscribe for
// the acknowledgments), and the others matched no sentinel of the
// package.
func TestConnectionClosedErrors(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		before func(*natssse.Log) error // on the open connection
		call   func(*natssse.Log) error
	}{
		{name: "Append first", call: func(l *natssse.Log) error { return l.Append("t", sse.Event{Data: "x"}) }},
		{
			name:   "Append after one",
			before: func(l *natssse.Log) error { return l.Append("t", sse.Event{Data: "x"}) },
			call:   func(l *natssse.Log) error { return l.Append("t", sse.Event{Data: "x"}) },
		},
		{name: "AppendWait", call: func(l *natssse.Log) error {
			_, err := l.AppendWait(ctx, "t", sse.Event{Data: "x"})
			return err
		}},
		{name: "AppendWaitFunc", call: func(l *natssse.Log) error {
			_, err := l.AppendWaitFunc(ctx, "t", func(uint64) (sse.Event, error) { return sse.Event{Data: "x"}, nil })
			return err
		}},
		{name: "Since", call: func(l *natssse.Log) error {
			_, _, _, err := l.Since(ctx, "t", 0)
			return err
		}},
		{name: "Open", call: func(l *natssse.Log) error { return l.Open(func(string, sse.Event) {}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc, js := nb.Connect(t)
			l, err := natssse.New(ctx, js, natssse.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.before != nil {
				if err := tt.before(l); err != nil {
					t.Fatal(err)
				}
			}
			nc.Close()
			checkClosedErr(t, tt.call(l))
		})
	}
	t.Run("New", func(t *testing.T) {
		nc, js := nb.Connect(t)
		nc.Close()
		_, err := natssse.New(ctx, js, natssse.Config{})
		checkClosedErr(t, err)
	})
}

func checkClosedErr(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, natssse.ErrConnectionClosed) || !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("got %v, want an error wrapping natssse.ErrConnectionClosed and nats.ErrConnectionClosed", err)
	}
}

// Open on a Log that was closed says so with a sentinel, where it
// returned an error no caller could test for.
func TestOpenClosedLog(t *testing.T) {
	l, _ := newLog(t, natstest.ForTestJetStream(t), natssse.Config{})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Open(func(string, sse.Event) {}); !errors.Is(err, natssse.ErrLogClosed) {
		t.Errorf("Open on a closed Log = %v, want natssse.ErrLogClosed", err)
	}
}
