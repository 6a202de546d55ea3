package natskv_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/natskv"
)

// The Store contract: Create for revision zero, Update for the loaded
// revision, conflicts for anything else, a deleted key reads as not found
// and can be created again.
func TestStore(t *testing.T) {
	b := natstest.ForTestJetStream(t)
	ctx := t.Context()
	st, err := natskv.New(ctx, b.JetStream(t), natskv.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const id = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	if _, err := st.Load(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Load of a missing key: %v", err)
	}
	now := time.Now().Round(0).UTC()
	rec := session.Record{Values: map[string]string{"k": "v"}, Created: now, LastAccess: now, Expires: now.Add(time.Hour)}
	r1, err := st.Save(ctx, id, rec)
	if err != nil || r1 == 0 {
		t.Fatalf("create: %d, %v", r1, err)
	}
	got, err := st.Load(ctx, id)
	if err != nil || got.Values["k"] != "v" || !got.Created.Equal(now) || !got.Expires.Equal(rec.Expires) || got.Revision != r1 {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	steps := []struct {
		name string
		rev  uint64
		want error
	}{
		{"create again", 0, session.ErrConflict},
		{"stale revision", r1 + 100, session.ErrConflict},
		{"loaded revision", r1, nil},
		{"the same revision twice", r1, session.ErrConflict},
	}
	for _, s := range steps {
		rec.Revision = s.rev
		if _, err := st.Save(ctx, id, rec); !errors.Is(err, s.want) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.want)
		}
	}
	got, _ = st.Load(ctx, id)
	if err := st.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Load of a deleted key: %v", err)
	}
	rec.Revision = got.Revision
	if _, err := st.Save(ctx, id, rec); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("Update of a deleted key: %v, want a conflict", err)
	}
	rec.Revision = 0
	if _, err := st.Save(ctx, id, rec); err != nil {
		t.Fatalf("create after delete: %v", err)
	}
	if err := st.Delete(ctx, "NOSUCHKEYNOSUCHKEYNOSUCHKE"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
}

// New creates the bucket with the TTL given, and binds an existing one
// without changing it.
func TestNewBucket(t *testing.T) {
	b := natstest.ForTestJetStream(t)
	ctx := t.Context()
	js := b.JetStream(t)
	tests := []struct {
		name    string
		cfg     natskv.Config
		bucket  string
		wantTTL time.Duration
	}{
		{"defaults", natskv.Config{}, "wharf_sessions", 24 * time.Hour},
		{"named", natskv.Config{Bucket: "app", TTL: time.Hour}, "app", time.Hour},
		{"bound, not changed", natskv.Config{Bucket: "app", TTL: 2 * time.Hour}, "app", time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := natskv.New(ctx, js, tc.cfg); err != nil {
				t.Fatal(err)
			}
			kv, err := js.KeyValue(ctx, tc.bucket)
			if err != nil {
				t.Fatal(err)
			}
			st, err := kv.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.TTL() != tc.wantTTL {
				t.Fatalf("TTL = %v, want %v", st.TTL(), tc.wantTTL)
			}
		})
	}
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := natskv.New(ctx, js, natskv.Config{Bucket: "other"}); err == nil {
		t.Fatal("New with a cancelled context succeeded")
	}
}

// Sessions survive a broker restart: the bucket is file-backed unless
// configured otherwise.
func TestBrokerRestart(t *testing.T) {
	b := natstest.ForTestJetStream(t)
	ctx := t.Context()
	st, err := natskv.New(ctx, b.JetStream(t), natskv.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const id = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	if _, err := st.Save(ctx, id, session.Record{Values: map[string]string{"user": "alice"}}); err != nil {
		t.Fatal(err)
	}
	b.Stop()
	b.Restart()
	st, err = natskv.New(ctx, b.JetStream(t), natskv.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.Load(ctx, id)
	if err != nil || rec.Values["user"] != "alice" {
		t.Fatalf("after a restart: %+v, %v", rec, err)
	}
}

// A session's keys and values are Go strings, bytes that need not be
// UTF-8 (a raw random token, a gob encoding, a form field sent as %FF),
// and a Load gives back exactly what was saved, as MemoryStore does: JSON
// strings hold only UTF-8, and encoding/json writes any other byte as
// U+FFFD, so "ann\xff" read back as "ann\uFFFD", the same as "ann\xfe".
func TestStoreKeepsBytes(t *testing.T) {
	b := natstest.ForTestJetStream(t)
	ctx := t.Context()
	st, err := natskv.New(ctx, b.JetStream(t), natskv.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		values map[string]string
	}{
		{"UTF-8", map[string]string{"user": "jürgen", "empty": ""}},
		{"values not UTF-8", map[string]string{"a": "ann\xff", "b": "ann\xfe", "token": "\x00\x80\xc3\x28\xff\xfe"}},
		{"keys not UTF-8", map[string]string{"k\xff": "1", "k\xfe": "2", "k": "3"}},
		{"a value that reads as U+FFFD", map[string]string{"x": "\uFFFD", "y": "\xff"}},
		{"none", map[string]string{}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("BYTES%021d", i)
			if _, err := st.Save(ctx, id, session.Record{Values: tc.values}); err != nil {
				t.Fatal(err)
			}
			rec, err := st.Load(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(rec.Values, tc.values) {
				t.Fatalf("Load gave %q, want %q", rec.Values, tc.values)
			}
		})
	}
}

// A record that does not decode (another version of the application
// wrote it, or a hand) is no session: Load says session.ErrNotFound, so
// the Manager starts a new one, where the error answered every request of
// the client 500, its logout included, until the TTL dropped the key.
func TestStoreUndecodableRecord(t *testing.T) {
	b := natstest.ForTestJetStream(t)
	ctx := t.Context()
	js := b.JetStream(t)
	st, err := natskv.New(ctx, js, natskv.Config{})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "wharf_sessions") // Config.Bucket's zero
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, value string
	}{
		{"not JSON", "\x00garbage"},
		{"another shape", `{"values":["a","b"]}`},
		{"a time that is no time", `{"created":"yesterday"}`},
		{"bytes not base64", `{"bytes":[["!!","!!"]]}`},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("UNDECODABLE%015d", i)
			if _, err := kv.Put(ctx, id, []byte(tc.value)); err != nil {
				t.Fatal(err)
			}
			_, err := st.Load(ctx, id)
			if !errors.Is(err, session.ErrNotFound) || errors.Is(err, session.ErrUnavailable) {
				t.Fatalf("Load = %v, want session.ErrNotFound", err)
			}
		})
	}
}
