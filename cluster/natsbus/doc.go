// Package natsbus implements cluster.Bus on a NATS broker, through the
// official client github.com/nats-io/nats.go.
//
// # How it works
//
// Each instance opens one connection to the broker (or to any server of a
// NATS cluster) with echo turned off. Publish first calls this instance's
// subscribers itself, through a cluster.Local, and then sends the event to
// the broker, which passes it to every other instance. So an event reaches
// each subscriber exactly once, and the local ones are served even while
// the broker is away.
//
// Each Subscribe is one NATS subscription. nats.go delivers that
// subscription's messages on its own goroutine, one at a time and in order.
//
// # When the broker is away
//
// Delivery is core NATS's: at most once. The connection reconnects
// forever, every ReconnectWait. It starts even if the broker is down at
// first, so an instance can serve its own clients before the broker comes
// up. While it is not connected, Publish does not buffer: an event that
// cannot be sent is lost. It returns ErrNotConnected and counts in
// Stats().Lost, and in the "wharf.cluster.events.lost" counter.
//
// A subscription that falls more than PendingMessages behind drops what
// does not fit. nats.go reports those as a slow consumer; they are counted
// as lost too, and logged.
//
// Subscriptions come back by themselves after a reconnect. Events that
// were in flight when the connection broke are gone without a trace. No
// client library can see those: the broker never acknowledges core NATS
// messages.
//
// # Goroutines
//
// Every method may be called from any goroutine. See package cluster for
// the rules callbacks follow.
//
// # Metrics
//
// Connect registers observable instruments with Config.MeterProvider:
//   - the counters "wharf.cluster.events.published", ".delivered" and
//     ".lost";
//   - the up-down counter "wharf.cluster.connected", which is 1 or 0.
//
// Close unregisters them.
package natsbus
