// Package natstest gives tests a real NATS broker in the process, which
// they can stop and start again (package natsembed runs it).
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/wharf-go/wharf/internal/natsembed"
)

// Broker is a broker a test can stop and start again on the same address.
type Broker struct {
	t    testing.TB
	addr string
	srv  *server.Server
	URL  string // "nats://127.0.0.1:port"
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
		if b.srv, err = natsembed.Start(b.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		b.t.Fatal(err)
	}
}
