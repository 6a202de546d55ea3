// Package natsembed runs a NATS broker inside the process, on
// github.com/nats-io/nats-server/v2: for examples/chat -nats-embed, and
// (through natstest) for tests, which need a real broker and no external
// service. StartJetStream adds JetStream, with its files in a directory
// the caller owns. It imports no package of ours.
package natsembed

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Start starts a broker listening on addr ("host:port"; port 0 picks a
// free one) and returns it once it accepts clients. Shut it down with
// Shutdown and WaitForShutdown.
func Start(addr string) (*server.Server, error) { return start(addr, "") }

// StartJetStream is Start with JetStream enabled (streams, and the
// key-value buckets built on them, as session/natskv uses), its data kept
// in files under storeDir, so that a broker started again on the same
// directory finds its buckets.
func StartJetStream(addr, storeDir string) (*server.Server, error) {
	if storeDir == "" {
		return nil, errors.New("natsembed: JetStream needs a store directory")
	}
	return start(addr, storeDir)
}

// start starts a broker; a storeDir enables JetStream.
func start(addr, storeDir string) (*server.Server, error) {
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
	} else {
		// The broker says nothing when it cannot listen (its logging is
		// off) and would be waited for in vain: find out first.
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("natsembed: %w", err)
		}
		l.Close()
	}
	opts := &server.Options{Host: host, Port: port, NoLog: true, NoSigs: true}
	if storeDir != "" {
		opts.JetStream, opts.StoreDir = true, storeDir
	}
	ns, err := server.NewServer(opts)
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
