// Package natsembed runs a NATS broker inside the process, on
// github.com/nats-io/nats-server/v2: for tests, which need a real broker
// and no external service, and for examples/chat -nats-embed. It imports
// no package of ours.
package natsembed

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Start starts a broker listening on addr ("host:port"; port 0 picks a
// free one) and returns it once it accepts clients. Shut it down with
// Shutdown and WaitForShutdown.
func Start(addr string) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("natsembed: %w", err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("natsembed: port %q: %w", portStr, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	ns, err := server.NewServer(&server.Options{Host: host, Port: port, NoLog: true, NoSigs: true})
	if err != nil {
		return nil, fmt.Errorf("natsembed: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, errors.New("natsembed: the broker did not start listening on " + addr)
	}
	return ns, nil
}

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
	ns, err := Start("127.0.0.1:0")
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
		b.t.Fatal("natsembed: Restart of a running broker")
	}
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		// The old listener's port may take a moment to be free again.
		if b.srv, err = Start(b.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		b.t.Fatal(err)
	}
}
