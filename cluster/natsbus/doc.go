// Package natsbus implements cluster.Bus on a NATS broker, through the
// official client github.com/nats-io/nats.go.
//
// # How it works
//
// Each instance opens one connection to the broker (or to any server of a
// NATS cluster) with echo turned off. Publish first calls this instance's
// subscribers itself, through a cluster.Local, and then sends the event to
// the broker, which passes it to every other instance. So an event reaches
// each subscriber at most once, never twice, and the local ones are served
// even while the broker is away.
//
// Each Subscribe is one NATS subscription. nats.go delivers that
// subscription's messages on its own goroutine, one at a time and in order.
//
// # When the broker is away
//
// Delivery is core NATS's: at most once. The connection reconnects
// forever, every ReconnectWait, or as a nats.ReconnectWait or
// nats.CustomReconnectDelay in Options says, which wins (nats.go gives
// up only when the broker refuses its credentials twice in a row, or
// answers with an error nats.go knows no way back from: the Bus then
// stays away, says so in the log, and Publish and Subscribe fail with
// errors wrapping ErrGaveUp; subjects over MaxSubjectLen, which would
// make the broker answer so, are refused). It starts even if the broker is down at
// first, so an instance can serve its own clients before the broker
// comes up: Connect tries each server once, and an attempt (dial and
// handshake) lasts at most WriteTimeout, as later ones do. While it is
// not connected, Publish does not buffer: an event that cannot be sent is
// lost. It returns an error wrapping ErrNotConnected (which wraps
// cluster.ErrNotDelivered) and counts in Stats().Lost, and in the
// "wharf.cluster.events.lost" counter. It returns at once, even while
// nats.go is trying a server that does not answer: the Bus knows the
// connection's state from nats.go's handlers, and does not ask nats.go,
// which holds its lock for an attempt; Stats().Connected and
// Stats().Reconnects come from the handlers too, the latter counting
// sessions, not connections that never got through the handshake. A
// broker that stops reading without closing is taken for gone once a
// write to it has waited WriteTimeout (what was buffered for it is lost
// uncounted, and the connection reconnects), or, with nothing to write,
// within about three PingIntervals.
//
// A subscription that falls more than PendingMessages behind on events
// from other instances drops what does not fit. nats.go reports those as
// a slow consumer; they are counted as lost too, and logged. Events from
// this instance are not queued: a slow callback makes Publish slow.
//
// Subscriptions come back by themselves after a reconnect. Events that
// were in flight when the connection broke, in nats.go's buffer or on the
// network, are gone without a trace: Publish returned nil for them, and
// they are not counted as lost. No client library can see those: the
// broker never acknowledges core NATS messages.
//
// # Goroutines
//
// Every method may be called from any goroutine. See package cluster for
// the rules callbacks follow.
//
// # Metrics
//
// Connect registers observable instruments with Config.MeterProvider, each
// with the attribute "wharf.cluster.bus" set to Config.Name:
//   - the counters "wharf.cluster.events.published", ".delivered" and
//     ".lost";
//   - the gauge "wharf.cluster.connected", which is 1 or 0.
//
// Close unregisters them.
//
// Package natsbus imports cluster, nats.go and OpenTelemetry's metric API.
package natsbus
