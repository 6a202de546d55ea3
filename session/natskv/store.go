package natskv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/session"
)

// Config configures a Store. Its zero value is ready to use.
type Config struct {
	// Bucket names the key-value bucket. Zero means "wharf_sessions".
	Bucket string
	// TTL is how long the bucket keeps a session after its last write,
	// used when New creates the bucket. Zero means 24 hours, the default
	// session.Config.MaxLifetime: keep the two equal, as a session older
	// than MaxLifetime is dead anyway.
	TTL time.Duration
	// Replicas is the number of copies a NATS cluster keeps, when New
	// creates the bucket. Zero means 1.
	Replicas int
	// Storage says where the bucket lives, when New creates it. Zero
	// means jetstream.FileStorage, which survives a broker restart.
	Storage jetstream.StorageType
}

// Store is a session.Store on a JetStream key-value bucket. Every method
// may be called from any goroutine; a Store holds no goroutine of its own.
type Store struct {
	kv jetstream.KeyValue
}

var (
	_ session.Store           = (*Store)(nil)
	_ session.RevisionDeleter = (*Store)(nil)
)

// New returns a Store on the bucket cfg names, binding it if it exists
// (its configuration is then left as it is: the operator's) and creating
// it otherwise. ctx bounds the calls to the broker.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = "wharf_sessions"
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 24 * time.Hour
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      cfg.Bucket,
			Description: "Wharf sessions",
			History:     1,
			TTL:         cfg.TTL,
			Replicas:    cfg.Replicas,
			Storage:     cfg.Storage,
		})
		if errors.Is(err, jetstream.ErrBucketExists) { // another instance won the race
			kv, err = js.KeyValue(ctx, cfg.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("natskv: bucket %q: %w", cfg.Bucket, err)
	}
	return &Store{kv: kv}, nil
}

// record is a session.Record as stored; the revision is the key's.
//
// A JSON string holds only UTF-8: encoding/json writes any other byte as
// U+FFFD, so "ann\xff" and "ann\xfe" would both read back as "ann\uFFFD".
// Session values are Go strings, any bytes, and come back as saved, so an
// entry whose key or value is not UTF-8 is kept in Bytes instead, as two
// []byte (base64 in JSON). The others stay in Values, where instances
// that predate Bytes read them.
type record struct {
	Values     map[string]string `json:"values"`
	Bytes      [][2][]byte       `json:"bytes,omitempty"`
	Created    time.Time         `json:"created"`
	LastAccess time.Time         `json:"last_access"`
	Expires    time.Time         `json:"expires"`
}

// Load returns the session under id with the key's revision, or
// session.ErrNotFound for a key missing, deleted or expired by the TTL,
// or whose record does not decode.
func (s *Store) Load(ctx context.Context, id string) (session.Record, error) {
	e, err := s.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return session.Record{}, fmt.Errorf("natskv: load: %w", session.ErrNotFound)
	}
	if err != nil {
		return session.Record{}, failed("load", err)
	}
	var r record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		// A record this instance cannot read (written by another
		// version of the application, or by hand) is no session to it,
		// as Jetty takes an unreadable session: the client starts a new
		// one, where the error answered every request it made 500, its
		// logout included, until the bucket's TTL dropped the key.
		return session.Record{}, fmt.Errorf("natskv: load: a record that does not decode (%v): %w", err, session.ErrNotFound)
	}
	if len(r.Bytes) > 0 && r.Values == nil {
		r.Values = make(map[string]string, len(r.Bytes))
	}
	for _, kv := range r.Bytes {
		r.Values[string(kv[0])] = string(kv[1])
	}
	return session.Record{Values: r.Values, Created: r.Created, LastAccess: r.LastAccess, Expires: r.Expires, Revision: e.Revision()}, nil
}

// Save stores rec under id with kv.Create (rec.Revision zero) or
// kv.Update (the revision loaded); a key written or deleted since is
// session.ErrConflict.
func (s *Store) Save(ctx context.Context, id string, rec session.Record) (uint64, error) {
	r := record{Values: rec.Values, Created: rec.Created, LastAccess: rec.LastAccess, Expires: rec.Expires}
	for k, v := range rec.Values {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			r.Bytes = append(r.Bytes, [2][]byte{[]byte(k), []byte(v)})
		}
	}
	if len(r.Bytes) > 0 {
		r.Values = make(map[string]string, len(rec.Values)-len(r.Bytes))
		for k, v := range rec.Values {
			if utf8.ValidString(k) && utf8.ValidString(v) {
				r.Values[k] = v
			}
		}
	}
	data, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("natskv: save: %w", err)
	}
	var rev uint64
	if rec.Revision == 0 {
		rev, err = s.kv.Create(ctx, id, data)
	} else {
		rev, err = s.kv.Update(ctx, id, data, rec.Revision)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, fmt.Errorf("natskv: save: %w", session.ErrConflict)
	}
	if err != nil {
		return 0, failed("save", err)
	}
	return rev, nil
}

// Delete removes the session under id with kv.Purge: a marker that reads
// as not found, which kv.Create may overwrite, and that removes every
// earlier revision of the key. kv.Delete's marker hid only the last one:
// on a bucket that keeps history (an operator's, History above 1), an
// ended session's values stayed readable there (kv.History, a watch)
// until the TTL dropped them.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := s.kv.Purge(ctx, id); err != nil {
		return failed("delete", err)
	}
	return nil
}

// DeleteRevision removes the session under id, every revision of it as
// Delete does (kv.Purge), if the key's revision is still rev
// (jetstream.LastRevision), so that RenewID moves a session atomically
// (see session.RevisionDeleter); a key written or deleted since, or
// missing, is session.ErrConflict.
func (s *Store) DeleteRevision(ctx context.Context, id string, rev uint64) error {
	if rev == 0 {
		// LastRevision(0) would delete whatever is stored.
		return fmt.Errorf("natskv: delete: %w", session.ErrConflict)
	}
	err := s.kv.Purge(ctx, id, jetstream.LastRevision(rev))
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return fmt.Errorf("natskv: delete: %w", session.ErrConflict)
	}
	if err != nil {
		return failed("delete", err)
	}
	return nil
}

// failed is the error of the call op that the client or the broker failed
// with err: session.ErrUnavailable too if err means that the bucket could
// not be reached for now, so that the Manager answers 503 and not 500.
func failed(op string, err error) error {
	if unreachable(err) {
		return fmt.Errorf("natskv: %s: %w: %w", op, session.ErrUnavailable, err)
	}
	return fmt.Errorf("natskv: %s: %w", op, err)
}

// unreachable reports whether err says that the broker, or JetStream on
// it, could not serve the call, rather than that the call was wrong: the
// connection is closed (reconnects gave up), draining or between servers;
// no server answered (JetStream disabled, restarting, or a cluster
// without a leader for the stream); the broker itself answered 503.
// A call that outlived its context already wraps
// context.DeadlineExceeded, which the Manager knows.
func unreachable(err error) bool {
	for _, target := range [...]error{
		nats.ErrConnectionClosed, nats.ErrConnectionDraining, nats.ErrDisconnected,
		nats.ErrConnectionReconnecting, nats.ErrNoServers, nats.ErrStaleConnection,
		nats.ErrTimeout, nats.ErrNoResponders,
		jetstream.ErrNoStreamResponse, jetstream.ErrConnectionClosed,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.Code == http.StatusServiceUnavailable
}
