package natssse

import (
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Sentinel errors of package natssse.
var (
	// ErrConnectionClosed is wrapped by every error of New and of a Log
	// whose NATS connection is closed for good: the application closed
	// it, or nats.go gave up on the broker. Only a Log on a new
	// connection reaches the stream again. nats.ErrConnectionClosed is in
	// the chain too.
	ErrConnectionClosed = errors.New("natssse: NATS connection closed")

	// ErrLogClosed is returned by Open on a Log that was closed: a
	// Broker made on a closed Log would never get an event.
	ErrLogClosed = errors.New("natssse: Open on a closed Log")
)

// failed returns err, met while doing what doing says, with the
// package's prefix, and wrapping ErrConnectionClosed once js's
// connection is closed for good. The connection is asked rather than
// err: nats.go's PublishMsgAsync formats the client's error into its own
// with %s when it cannot subscribe for the acknowledgments, so that
// nats.ErrConnectionClosed is not in its chain; that one is put back.
func failed(js jetstream.JetStream, doing string, err error) error {
	if nc := js.Conn(); nc == nil || !nc.IsClosed() {
		return fmt.Errorf("natssse: %s: %w", doing, err)
	}
	if !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("natssse: %s: %w: %w (%v)", doing, ErrConnectionClosed, nats.ErrConnectionClosed, err)
	}
	return fmt.Errorf("natssse: %s: %w: %w", doing, ErrConnectionClosed, err)
}
