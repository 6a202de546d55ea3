package natssse_test

import (
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse/natssse"
)

// New binds a stream that exists only if it takes every subject of the
// log's prefix: bound to one that does not, the log's events would be
// stored nowhere, Append saying nothing of it and Open delivering
// nothing, as an application whose Prefix changed since the stream was
// made, or that shares the default stream with another, would find.
func TestNewChecksExistingSubjects(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	js := nb.JetStream(t)
	for i, tt := range []struct {
		subjects []string
		prefix   string
		ok       bool
	}{
		{[]string{"sse.>"}, "sse", true},
		{[]string{"sse.>"}, "board", false},
		{[]string{"other.>", "board.>"}, "board", true},
		{[]string{"app.*.>"}, "app.sse", true},
		{[]string{"board.*"}, "board", false},                    // one-token topics only
		{[]string{"board.news.>", "board.chat"}, "board", false}, // some topics only
		{[]string{"app.sse.x.>"}, "app.sse", false},
		{[]string{"app.>"}, "app.sse", true},
	} {
		t.Run(fmt.Sprint(tt.subjects, " ", tt.prefix), func(t *testing.T) {
			// Each case under a first token of its own: streams may not
			// share subjects, and a case's stream need not be gone (a
			// deletion the broker finishes later) before the next one's.
			top := fmt.Sprintf("c%d.", i)
			subjects := make([]string, len(tt.subjects))
			for j, s := range tt.subjects {
				subjects[j] = top + s
			}
			name := fmt.Sprintf("EXISTING%d", i)
			if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: name, Subjects: subjects}); err != nil {
				t.Fatal(err)
			}
			defer js.DeleteStream(t.Context(), name)
			_, err := natssse.New(t.Context(), js, natssse.Config{Stream: name, Prefix: top + tt.prefix})
			if (err == nil) != tt.ok {
				t.Fatalf("New(prefix %q) on a stream of %q: %v, want ok %v", tt.prefix, tt.subjects, err, tt.ok)
			}
		})
	}
}
