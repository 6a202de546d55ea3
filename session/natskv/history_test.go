package natskv_test

import (
	"context"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/natskv"
)

// history returns every entry the bucket still holds, each key's earlier
// revisions included, as "key op value".
func history(t *testing.T, kv jetstream.KeyValue) []string {
	t.Helper()
	w, err := kv.WatchAll(t.Context(), jetstream.IncludeHistory())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var got []string
	for e := range w.Updates() {
		if e == nil {
			return got // the end of what the bucket held
		}
		got = append(got, e.Key()+" "+e.Operation().String()+" "+string(e.Value()))
	}
	return got
}

// A session a Store deletes leaves none of its values in the bucket, on a
// bucket that keeps history (one the operator created, History above 1,
// which New binds as it is): a logout (Delete) and a login's move
// (DeleteRevision of the old ID) purge every revision of the key, where a
// delete marker hid only the last, and the logged-out user's values stayed
// readable from the bucket's history (kv.History, a watch) until its TTL,
// though no request could load them.
func TestDeleteForgetsHistory(t *testing.T) {
	const id = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	tests := []struct {
		name string
		del  func(ctx context.Context, st *natskv.Store, rev uint64) error
	}{
		{"Delete", func(ctx context.Context, st *natskv.Store, _ uint64) error { return st.Delete(ctx, id) }},
		{"DeleteRevision", func(ctx context.Context, st *natskv.Store, rev uint64) error { return st.DeleteRevision(ctx, id, rev) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := natstest.ForTestJetStream(t)
			ctx := t.Context()
			js := b.JetStream(t)
			kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "wharf_sessions", History: 10})
			if err != nil {
				t.Fatal(err)
			}
			st, err := natskv.New(ctx, js, natskv.Config{})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			rec := session.Record{Values: map[string]string{"user": "alice"}, Created: now, LastAccess: now, Expires: now.Add(time.Hour)}
			for range 3 {
				if rec.Revision, err = st.Save(ctx, id, rec); err != nil {
					t.Fatal(err)
				}
			}
			if err := tc.del(ctx, st, rec.Revision); err != nil {
				t.Fatal(err)
			}
			for _, e := range history(t, kv) {
				if strings.Contains(e, "alice") {
					t.Errorf("after %s the bucket holds %q", tc.name, e)
				}
			}
			if _, err := st.Load(ctx, id); err == nil {
				t.Fatal("the deleted session still loads")
			}
			rec.Revision = 0
			if _, err := st.Save(ctx, id, rec); err != nil {
				t.Fatalf("create after %s: %v", tc.name, err)
			}
		})
	}
}

// The same over every protocol, through a Manager: after a login
// (RenewID) and a logout (Invalidate), no revision of any key in a bucket
// that keeps history holds the session's values.
func TestEndToEndLogoutForgetsHistory(t *testing.T) {
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			b := natstest.ForTestJetStream(t)
			js := b.JetStream(t)
			kv, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: "wharf_sessions", History: 10})
			if err != nil {
				t.Fatal(err)
			}
			in := start(t, m, b, new(atomic.Pointer[sync.WaitGroup]))
			jar, err := cookiejar.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			c := *in.Client
			c.Jar = jar
			call(t, &c, "POST", in.URL+"/set", url.Values{"k": {"cart"}, "v": {"apples"}})
			call(t, &c, "POST", in.URL+"/login", url.Values{"user": {"alice"}})
			call(t, &c, "POST", in.URL+"/set", url.Values{"k": {"theme"}, "v": {"dark"}})
			call(t, &c, "POST", in.URL+"/logout", nil)
			for _, e := range history(t, kv) {
				if strings.Contains(e, "alice") || strings.Contains(e, "apples") || strings.Contains(e, "dark") {
					t.Errorf("after the logout the bucket holds %q", e)
				}
			}
		})
	}
}
