package natssse_test

import (
	"testing"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// An event's type comes back as it was published, by the consumer and by
// Since alike, white space at its ends included: MemoryLog keeps it, and
// a client listening for that type must get it from either log.
func TestEventTypeKept(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	l, _ := newLog(t, nb, natssse.Config{})
	delivered := make(chan sse.Event, 100)
	if err := l.Open(func(_ string, ev sse.Event) { delivered <- ev }); err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	types := []string{"plain", "two words", " leading", "trailing ", "\ttabs\t", "  ", `"quoted"`, "é\x00"}
	for _, typ := range types {
		if _, err := l.AppendWait(t.Context(), "t", sse.Event{Event: typ, Data: "d"}); err != nil {
			t.Fatalf("%q: %v", typ, err)
		}
	}
	replayed, _, _, err := l.Since(t.Context(), "t", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(replayed) != len(types) {
		t.Fatalf("Since returned %d events, want %d", len(replayed), len(types))
	}
	for i, typ := range types {
		if got := replayed[i].Event; got != typ {
			t.Errorf("Since: type %q came back as %q", typ, got)
		}
		if got := (<-delivered).Event; got != typ {
			t.Errorf("consumer: type %q came back as %q", typ, got)
		}
	}
}
