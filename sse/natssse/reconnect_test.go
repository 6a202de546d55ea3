package natssse_test

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// gatedDialer dials the broker while it is open; cut closes the
// connection it made and refuses new ones until open is called, so that a
// test decides when the client gets back.
type gatedDialer struct {
	mu     sync.Mutex
	refuse bool
	conn   net.Conn
}

func (d *gatedDialer) Dial(network, address string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.refuse {
		return nil, errors.New("gatedDialer: refused")
	}
	c, err := net.Dial(network, address)
	d.conn = c
	return c, err
}

func (d *gatedDialer) cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refuse = true
	d.conn.Close()
}

func (d *gatedDialer) open() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refuse = false
}

// An instance whose consumer has delivered nothing yet loses its
// connection; another instance appends an event meanwhile. Once back, the
// instance delivers that event: the stream stored it after Open returned,
// and Open promises every such event.
func TestOpenDeliversWhatWasAppendedWhileAway(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	ctx := t.Context()

	// The other instance, publishing.
	pub, _ := newLog(t, nb, natssse.Config{FirstID: 1})
	if _, err := pub.AppendWait(ctx, "t", sse.Event{Data: "before Open"}); err != nil {
		t.Fatal(err)
	}

	// This instance, on a connection the test cuts.
	d := &gatedDialer{}
	disconnected, reconnected := make(chan struct{}, 1), make(chan struct{}, 1)
	nc, err := nats.Connect(nb.URL, nats.SetCustomDialer(d), nats.MaxReconnects(-1),
		nats.ReconnectWait(10*time.Millisecond),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { disconnected <- struct{}{} }),
		nats.ReconnectHandler(func(*nats.Conn) { reconnected <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	l, err := natssse.New(ctx, js, natssse.Config{FirstID: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan sse.Event, 100)
	if err := l.Open(func(_ string, ev sse.Event) { got <- ev }); err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	await := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(wharftest.Patience):
			t.Fatalf("the instance's connection was not %s within %v", what, wharftest.Patience)
		}
	}
	d.cut()
	await("cut", disconnected)
	if _, err := pub.AppendWait(ctx, "t", sse.Event{Data: "while away"}); err != nil {
		t.Fatal(err)
	}
	d.open()
	await("made again", reconnected)

	// Probe until the instance delivers again; the first event it
	// delivers must be the one appended while it was away.
	probe := time.NewTicker(20 * time.Millisecond)
	defer probe.Stop()
	deadline := time.After(wharftest.Patience)
	for {
		select {
		case ev := <-got:
			if ev.Data != "while away" || ev.ID != "2" {
				t.Fatalf("first event after the reconnection: %+v, want ID 2, %q", ev, "while away")
			}
			return
		case <-probe.C:
			if _, err := pub.AppendWait(ctx, "t", sse.Event{Data: "probe"}); err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatal("nothing delivered after the reconnection")
		}
	}
}
