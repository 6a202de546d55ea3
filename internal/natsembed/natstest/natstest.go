// Package natstest gives tests a real NATS broker in the process, which
// they can stop and start again (package natsembed runs it), with or
// without JetStream.
package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/internal/natsembed"
)

// Broker is a broker a test can stop and start again on the same address.
type Broker struct {
	t     testing.TB
	addr  string
	store string // JetStream's directory; "" without JetStream
	srv   *server.Server
	URL   string // "nats://127.0.0.1:port"
}

// ForTest starts a broker on a free 127.0.0.1 port, shut down when the
// test ends.
func ForTest(t testing.TB) *Broker {
	t.Helper()
	ns, err := natsembed.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &Broker{t: t, srv: ns, addr: ns.Addr().String(), URL: ns.ClientURL()}
	t.Cleanup(b.Stop)
	return b
}

// ForTestJetStream is ForTest with JetStream enabled, its files in a
// directory of the test's (kept across Restart, so buckets survive it).
func ForTestJetStream(t testing.TB) *Broker {
	t.Helper()
	dir := t.TempDir()
	ns, err := natsembed.StartJetStream("127.0.0.1:0", dir)
	if err != nil {
		t.Fatal(err)
	}
	b := &Broker{t: t, srv: ns, store: dir, addr: ns.Addr().String(), URL: ns.ClientURL()}
	t.Cleanup(b.Stop)
	b.anchor(t)
	return b
}

// anchor makes a stream that no test touches. When the last stream of
// an account is deleted, nats-server removes the account's emptied
// directory from a goroutine of its own, which races a stream created
// right after: that one's MkdirAll can find its parent gone and fail
// with "error creating store for stream" (a test deleting its only
// stream and making it again, or one stream per case, saw that in CI).
// With this stream there, the directory is never empty.
func (b *Broker) anchor(t testing.TB) {
	t.Helper()
	nc, js := b.Connect(t)
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "NATSTEST_ANCHOR", Subjects: []string{"natstest.anchor"}}); err != nil {
		t.Fatal(err)
	}
}

// Stop shuts the broker down and waits until it has; stopping twice is
// harmless.
func (b *Broker) Stop() {
	if b.srv == nil {
		return
	}
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
	b.srv = nil
}

// Restart starts a stopped broker again on the same address.
func (b *Broker) Restart() {
	b.t.Helper()
	if b.srv != nil {
		b.t.Fatal("natstest: Restart of a running broker")
	}
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		// The old listener's port may take a moment to be free again.
		if b.store != "" {
			b.srv, err = natsembed.StartJetStream(b.addr, b.store)
		} else {
			b.srv, err = natsembed.Start(b.addr)
		}
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		b.t.Fatal(err)
	}
}

// JetStream connects t to the broker, closing the connection when t
// ends, and returns the connection's JetStream.
func (b *Broker) JetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	_, js := b.Connect(t)
	return js
}

// Connect is JetStream that returns the connection too (its statistics
// count a client's requests).
func (b *Broker) Connect(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}
