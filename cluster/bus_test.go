package cluster_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/cluster"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, subject string
		want             bool
	}{
		{"chat.room", "chat.room", true},
		{"chat.room", "chat.rooms", false},
		{"chat.room", "chat", false},
		{"chat", "chat.room", false},
		{"chat.*", "chat.room", true},
		{"chat.*", "chat.room.a", false},
		{"chat.*", "chat", false},
		{"*.room", "chat.room", true},
		{"*", "chat", true},
		{"*", "chat.room", false},
		{"chat.>", "chat.room", true},
		{"chat.>", "chat.room.a.b", true},
		{"chat.>", "chat", false},
		{">", "chat.room", true},
		{"chat.*.x", "chat.a.x", true},
		{"chat.*.x", "chat.a.y", false},
	}
	for _, tt := range tests {
		if got := cluster.Match(tt.pattern, tt.subject); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.subject, got, tt.want)
		}
	}
}

func TestSubjectChecks(t *testing.T) {
	tests := []struct {
		subject            string
		publish, subscribe bool // accepted by CheckPublish, CheckSubscribe
	}{
		{"chat", true, true},
		{"chat.room-1", true, true},
		{"chat.*", false, true},
		{"chat.>", false, true},
		{">", false, true},
		{"chat.>.x", false, false},
		{">.x", false, false},
		{"", false, false},
		{".chat", false, false},
		{"chat.", false, false},
		{"chat..room", false, false},
		{"chat room", false, false},
		{"chat\troom", false, false},
		{"chat\x00", false, false},
		{"caf\xc3\xa9", false, false},
	}
	for _, tt := range tests {
		if err := cluster.CheckPublish(tt.subject); (err == nil) != tt.publish || (err != nil && !errors.Is(err, cluster.ErrBadSubject)) {
			t.Errorf("CheckPublish(%q) = %v, want accepted %v", tt.subject, err, tt.publish)
		}
		if err := cluster.CheckSubscribe(tt.subject); (err == nil) != tt.subscribe {
			t.Errorf("CheckSubscribe(%q) = %v, want accepted %v", tt.subject, err, tt.subscribe)
		}
	}
}

// Local delivers each event once to each matching subscription, on the
// publishing goroutine, and nothing after Unsubscribe or Close.
func TestLocal(t *testing.T) {
	b := cluster.NewLocal()
	var exact, wild, other []string
	subExact, err := b.Subscribe("chat.room", func(s string, d []byte) { exact = append(exact, s+"="+string(d)) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe("chat.>", func(s string, d []byte) { wild = append(wild, s+"="+string(d)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe("news", func(s string, d []byte) { other = append(other, s) }); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b.Publish(ctx, "chat.room", []byte("1"))
	b.Publish(ctx, "chat.other", []byte("2"))
	subExact.Unsubscribe()
	subExact.Unsubscribe() // harmless
	b.Publish(ctx, "chat.room", []byte("3"))
	if got := strings.Join(exact, ","); got != "chat.room=1" {
		t.Errorf("exact subscriber got %s", got)
	}
	if got := strings.Join(wild, ","); got != "chat.room=1,chat.other=2,chat.room=3" {
		t.Errorf("wildcard subscriber got %s", got)
	}
	if len(other) != 0 {
		t.Errorf("unrelated subscriber got %v", other)
	}
	if err := b.Publish(ctx, "chat.*", nil); !errors.Is(err, cluster.ErrBadSubject) {
		t.Errorf("publishing on a wildcard: %v", err)
	}
	if _, err := b.Subscribe("a..b", func(string, []byte) {}); !errors.Is(err, cluster.ErrBadSubject) {
		t.Errorf("subscribing to a bad subject: %v", err)
	}
	st := b.Stats()
	if st.Published != 3 || st.Delivered != 4 || st.Lost != 0 || !st.Connected {
		t.Errorf("stats %+v, want 3 published, 4 delivered", st)
	}
	b.Close()
	if err := b.Publish(ctx, "chat.room", nil); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
	if _, err := b.Subscribe("chat.room", func(string, []byte) {}); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
}

// Publishers, subscribers and unsubscribers on many goroutines at once:
// a subscription that stays gets every event (run with -race).
func TestLocalConcurrent(t *testing.T) {
	b := cluster.NewLocal()
	defer b.Close()
	var got atomic.Int64
	if _, err := b.Subscribe("x", func(string, []byte) { got.Add(1) }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const publishers, each = 8, 500
	for range publishers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range each {
				b.Publish(context.Background(), "x", nil)
			}
		}()
		go func() {
			defer wg.Done()
			for range each / 10 {
				s, err := b.Subscribe("x", func(string, []byte) {})
				if err != nil {
					t.Error(err)
					return
				}
				s.Unsubscribe()
			}
		}()
	}
	wg.Wait()
	if n := got.Load(); n != publishers*each {
		t.Fatalf("the steady subscriber got %d events, want %d", n, publishers*each)
	}
}

// Stats.Published counts the Publish calls that returned nil: one whose
// subscriber panicked returned a *PanicError, and is not counted, though
// the event was delivered.
func TestLocalPublishedCountsOnlyNil(t *testing.T) {
	l := cluster.NewLocal()
	defer l.Close()
	if _, err := l.Subscribe("a", func(string, []byte) { panic("boom") }); err != nil {
		t.Fatal(err)
	}
	var pe *cluster.PanicError
	if err := l.Publish(context.Background(), "a", nil); !errors.As(err, &pe) {
		t.Fatalf("Publish = %v, want a *PanicError", err)
	}
	if err := l.Publish(context.Background(), "b", nil); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Published != 1 || st.Delivered != 1 {
		t.Errorf("stats %+v, want 1 published (the call that returned nil), 1 delivered", st)
	}
}
