package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/natskv"
)

// openNATS connects where the flags say: to the broker at natsURL, or to
// one started in this process at embed. With neither it returns a nil
// JetStream: the board then keeps its sessions and its event log in this
// process's memory. release closes the connection and stops the embedded
// broker.
func openNATS(natsURL, embed string) (js jetstream.JetStream, release func(), err error) {
	if natsURL == "" && embed == "" {
		return nil, func() {}, nil
	}
	stopBroker := func() {}
	if embed != "" {
		ns, stop, err := startBroker(embed)
		if err != nil {
			return nil, nil, err
		}
		natsURL, stopBroker = ns.ClientURL(), stop
	}
	// A server never gives up on its broker: nats.go's default stops
	// reconnecting after 60 tries, two minutes of outage.
	nc, err := nats.Connect(natsURL, nats.Name("wharf-board"), nats.MaxReconnects(-1))
	if err != nil {
		stopBroker()
		return nil, nil, fmt.Errorf("connecting to NATS at %s: %w", natsURL, err)
	}
	release = func() { nc.Close(); stopBroker() }
	if js, err = jetstream.New(nc); err != nil {
		release()
		return nil, nil, err
	}
	return js, release, nil
}

// openSessionStore returns where sessions live, and what gives it back:
// JetStream KV when js is not nil, or else this process's memory.
func openSessionStore(ctx context.Context, js jetstream.JetStream) (session.Store, func(), error) {
	if js == nil {
		mem := session.NewMemoryStore(session.MemoryConfig{})
		return mem, func() { mem.Close() }, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	store, err := natskv.New(ctx, js, natskv.Config{})
	if err != nil {
		return nil, nil, fmt.Errorf("opening the session bucket: %w", err)
	}
	return store, func() {}, nil
}

// startBroker runs a NATS broker with JetStream in this process, keeping
// its streams in a temporary directory: the sessions and events last as
// long as the broker, which is all an example needs.
func startBroker(addr string) (*server.Server, func(), error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("-nats-embed: %w", err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, nil, fmt.Errorf("-nats-embed: port %q: %w", portStr, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	} else {
		// With its logging off, the broker would fail to listen silently
		// and be waited for in vain: find out first.
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("-nats-embed: %w", err)
		}
		l.Close()
	}
	dir, err := os.MkdirTemp("", "board-jetstream-")
	if err != nil {
		return nil, nil, err
	}
	ns, err := server.NewServer(&server.Options{
		Host: host, Port: port,
		JetStream: true, StoreDir: dir,
		NoLog: true, NoSigs: true,
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("-nats-embed: %w", err)
	}
	stop := func() {
		ns.Shutdown()
		ns.WaitForShutdown()
		os.RemoveAll(dir)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10*time.Second) || !ns.JetStreamEnabled() {
		stop()
		return nil, nil, errors.New("-nats-embed: the broker did not start on " + addr)
	}
	return ns, stop, nil
}
