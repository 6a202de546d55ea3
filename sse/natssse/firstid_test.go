package natssse_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// A stream made again, as when the broker lost its store, numbers above
// every ID the old one gave, so that a client back with an old ID is told
// it missed events rather than resumed among new ones that reuse it; and
// FirstID, when set, is the first ID.
func TestStreamMadeAgainNumbersAbove(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	appendOne := func(cfg natssse.Config) (*natssse.Log, uint64) {
		t.Helper()
		l, _ := newLog(t, nb, cfg)
		id, err := l.AppendWait(context.Background(), "a", sse.Event{Data: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return l, id
	}
	cfg := natssse.Config{Stream: "AGAIN"}
	_, old := appendOne(cfg)
	js := nb.JetStream(t)
	if err := js.DeleteStream(t.Context(), "AGAIN"); err != nil {
		t.Fatal(err)
	}
	l, id := appendOne(cfg)
	if id <= old {
		t.Fatalf("the stream made again gave ID %d, the old one %d", id, old)
	}
	evs, _, missed, err := l.Since(t.Context(), "a", old)
	if err != nil || !missed || len(evs) != 1 || evs[0].ID != strconv.FormatUint(id, 10) {
		t.Fatalf("Since(the old ID) = %v, missed %v, %v; want [%d], missed", evs, missed, err, id)
	}

	if _, id := appendOne(natssse.Config{Stream: "FIRST", Prefix: "first", FirstID: 7}); id != 7 {
		t.Fatalf("FirstID 7: the first event's ID is %d", id)
	}
}
