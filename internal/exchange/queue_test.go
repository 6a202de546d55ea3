package exchange

import (
	"errors"
	"testing"
)

// The queue gives its entries back in the order they came, across the
// inline head and the slice behind it, however pushes and pops interleave.
func TestTaskQueueOrder(t *testing.T) {
	tests := []struct {
		name string
		ops  string // p: push the next number, o: pop and expect the oldest
	}{
		{"one", "po"},
		{"two", "ppoo"},
		{"many", "ppppppoooooo"},
		{"interleaved", "ppoppoppoooo"},
		{"refilled after empty", "ppooppoo"},
		{"head alone again", "pppooopopo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q taskQueue
			next, want := 0, 0
			for i, op := range tt.ops {
				switch op {
				case 'p':
					q.push(queued{kind: kindError, arg: errors.New(string(rune('a' + next)))})
					next++
				case 'o':
					e := q.pop()
					if got := e.err().Error(); got != string(rune('a'+want)) {
						t.Fatalf("op %d: popped %q, want %q", i, got, string(rune('a'+want)))
					}
					want++
				}
				if q.len() != next-want {
					t.Fatalf("op %d: len %d, want %d", i, q.len(), next-want)
				}
				if q.len() <= 1 && q.rest != nil {
					t.Fatalf("op %d: %d entries, and the slice behind the head is kept", i, q.len())
				}
				var seen []string
				for i := range q.len() {
					seen = append(seen, q.at(i).err().Error())
				}
				for j, s := range seen {
					if s != string(rune('a'+want+j)) {
						t.Fatalf("op %d: entries %v, want from %q on", i, seen, string(rune('a'+want)))
					}
				}
			}
		})
	}
}

// One entry at a time, what almost every request queues, allocates
// nothing: it stays in the inline head.
func TestTaskQueueInlineAllocs(t *testing.T) {
	var q taskQueue
	if n := testing.AllocsPerRun(100, func() {
		q.push(queued{kind: kindDispatch})
		q.pop()
	}); n != 0 {
		t.Errorf("push and pop of one entry: %v allocations, want 0", n)
	}
}
