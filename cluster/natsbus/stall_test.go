package natsbus_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// stallingDialer dials the broker through an in-memory pipe, so that a
// test can make the broker stop reading what the Bus writes without
// closing anything, as a silent network partition does: the Bus's writes
// then block until their deadline. Connections dialed after stall are not
// stalled, so the Bus can reconnect.
type stallingDialer struct {
	mu      sync.Mutex
	dialed  int           // connections dialed so far
	stalled int           // connections 1..stalled no longer read
	release chan struct{} // closed when the test ends: every connection reads again
}

func newStallingDialer(t *testing.T) *stallingDialer {
	d := &stallingDialer{release: make(chan struct{})}
	t.Cleanup(func() { close(d.release) })
	return d
}

// stall stops the reading of the connections dialed so far.
func (d *stallingDialer) stall() {
	d.mu.Lock()
	d.stalled = d.dialed
	d.mu.Unlock()
}

func (d *stallingDialer) isStalled(id int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return id <= d.stalled
}

// Dial implements nats.CustomDialer.
func (d *stallingDialer) Dial(network, address string) (net.Conn, error) {
	up, err := net.Dial(network, address)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.dialed++
	id := d.dialed
	d.mu.Unlock()
	bus, broker := net.Pipe() // net.Pipe honours write deadlines, as a socket does
	go func() {
		io.Copy(broker, up)
		broker.Close()
	}()
	go func() {
		defer up.Close()
		buf := make([]byte, 32<<10)
		for {
			if d.isStalled(id) {
				<-d.release
			}
			n, err := broker.Read(buf)
			if _, werr := up.Write(buf[:n]); werr != nil || err != nil {
				return
			}
		}
	}()
	return bus, nil
}

// A broker that stops reading without closing (a silent partition) is
// taken for gone once a write to it has waited WriteTimeout, long before
// the pings would notice, and the Bus reconnects. Before, it stayed on
// the stalled connection: every Publish waited WriteTimeout and returned
// nil, its event taken into a buffer the next timed-out write discarded,
// counted as published, not lost.
func TestStalledBrokerTakenForGone(t *testing.T) {
	broker := natstest.ForTest(t)
	d := newStallingDialer(t)
	a := connect(t, broker.URL, natsbus.Config{
		WriteTimeout: 100 * time.Millisecond,
		PingInterval: time.Hour, // only the write timeout can notice
		Options:      []nats.Option{nats.SetCustomDialer(d)},
	})
	b := connect(t, broker.URL, natsbus.Config{})
	onB := subscribe(t, b, "x")
	wharftest.WaitFor(t, "an event across the broker", func() bool {
		a.Publish(context.Background(), "x", []byte("before"))
		return onB.len() > 0
	})

	d.stall()
	wharftest.WaitFor(t, "the bus to take the stalled broker for gone", func() bool {
		a.Publish(context.Background(), "x", []byte("stalled"))
		return a.Stats().Reconnects > 0
	})

	// It reconnected on a fresh connection, and events cross again.
	before := onB.len()
	wharftest.WaitFor(t, "an event across the broker after the reconnection", func() bool {
		if err := a.Publish(context.Background(), "x", []byte("after")); err != nil && !errors.Is(err, natsbus.ErrNotConnected) {
			t.Fatalf("Publish after the reconnection: %v", err)
		}
		return onB.len() > before
	})
}
