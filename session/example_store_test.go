package session_test

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-go/wharf/session"
)

// A MemoryStore is bounded: when it is full, a new session evicts the
// least recently used one, first among those never loaded since they
// were saved (see MemoryConfig.MaxSessions).
func ExampleNewMemoryStore() {
	store := session.NewMemoryStore(session.MemoryConfig{MaxSessions: 2})
	defer store.Close()
	ctx := context.Background()
	expires := time.Now().Add(time.Hour)
	for _, id := range []string{"first", "second", "third"} {
		store.Save(ctx, id, session.Record{Values: map[string]string{"id": id}, Expires: expires})
	}
	for _, id := range []string{"first", "second", "third"} {
		_, err := store.Load(ctx, id)
		fmt.Println(id, err)
	}
	// Output:
	// first session: not found
	// second <nil>
	// third <nil>
}

// Save takes only the revision it was loaded with: a second writer that
// loaded the same revision gets ErrConflict (the Manager then reloads and
// applies its request's changes again).
func ExampleStore_conflict() {
	store := session.NewMemoryStore(session.MemoryConfig{})
	defer store.Close()
	ctx := context.Background()
	rec := session.Record{Values: map[string]string{"n": "1"}, Expires: time.Now().Add(time.Hour)}
	store.Save(ctx, "id", rec)
	a, _ := store.Load(ctx, "id")
	b, _ := store.Load(ctx, "id")
	a.Values["n"] = "2"
	_, errA := store.Save(ctx, "id", a)
	b.Values["n"] = "3"
	_, errB := store.Save(ctx, "id", b)
	fmt.Println(errA, errB)
	// Output: <nil> session: revision conflict
}
