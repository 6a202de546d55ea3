package natskv

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/session"
)

// failingKV fails every call the Store makes with err.
type failingKV struct {
	jetstream.KeyValue
	err error
}

func (f failingKV) Get(context.Context, string) (jetstream.KeyValueEntry, error) { return nil, f.err }
func (f failingKV) Create(context.Context, string, []byte, ...jetstream.KVCreateOpt) (uint64, error) {
	return 0, f.err
}
func (f failingKV) Update(context.Context, string, []byte, uint64) (uint64, error) { return 0, f.err }
func (f failingKV) Delete(context.Context, string, ...jetstream.KVDeleteOpt) error { return f.err }
func (f failingKV) Purge(context.Context, string, ...jetstream.KVDeleteOpt) error  { return f.err }

// The client's and the broker's errors that mean the bucket cannot be
// reached for now are session.ErrUnavailable, their own error kept; the
// others are not. Most cannot be provoked at will from a test (a cluster
// without a JetStream leader, a stream's leader moving), hence the fake.
func TestUnavailableErrors(t *testing.T) {
	tests := []struct {
		err         error
		unavailable bool
	}{
		{nats.ErrConnectionClosed, true},
		{nats.ErrConnectionDraining, true},
		{nats.ErrDisconnected, true},
		{nats.ErrConnectionReconnecting, true},
		{nats.ErrNoServers, true},
		{nats.ErrStaleConnection, true},
		{nats.ErrTimeout, true},
		{nats.ErrNoResponders, true},
		{jetstream.ErrNoStreamResponse, true},
		{jetstream.ErrConnectionClosed, true},
		{jetstream.ErrJetStreamNotEnabled, true},
		{jetstream.ErrJetStreamNotEnabledForAccount, true},
		{fmt.Errorf("nats: %w", &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}), true},
		{fmt.Errorf("nats: %w", &jetstream.APIError{Code: 500, ErrorCode: 10049, Description: "stream store failed"}), false},
		{jetstream.ErrInvalidKey, false},
		{nats.ErrMaxPayload, false},
		{errors.New("boom"), false},
	}
	ctx := t.Context()
	const id = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			st := &Store{kv: failingKV{err: tc.err}}
			_, load := st.Load(ctx, id)
			_, create := st.Save(ctx, id, session.Record{})
			_, update := st.Save(ctx, id, session.Record{Revision: 1})
			del := st.Delete(ctx, id)
			delRev := st.DeleteRevision(ctx, id, 1)
			for op, err := range map[string]error{"Load": load, "Save (create)": create, "Save (update)": update, "Delete": del, "DeleteRevision": delRev} {
				if errors.Is(err, session.ErrUnavailable) != tc.unavailable || !errors.Is(err, tc.err) {
					t.Errorf("%s: %v; want ErrUnavailable %v, and the error kept", op, err, tc.unavailable)
				}
			}
		})
	}
}
