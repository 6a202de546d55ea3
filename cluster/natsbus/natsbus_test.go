package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wharf-go/wharf/cluster"
	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// connect opens a Bus on url, closed when the test ends.
func connect(t *testing.T, url string, cfg natsbus.Config) *natsbus.Bus {
	t.Helper()
	cfg.URL = url
	cfg.ReconnectWait = 20 * time.Millisecond
	if cfg.Logger == nil {
		cfg.Logger = wharftest.DiscardLogger()
	}
	b, err := natsbus.Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// inbox collects the events a subscription gets.
type inbox struct {
	mu     sync.Mutex
	events []string // "subject=data"
}

func (in *inbox) add(subject string, data []byte) {
	in.mu.Lock()
	in.events = append(in.events, subject+"="+string(data))
	in.mu.Unlock()
}

func (in *inbox) snapshot() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.events...)
}

func (in *inbox) len() int { return len(in.snapshot()) }

func subscribe(t *testing.T, b cluster.Bus, pattern string) *inbox {
	t.Helper()
	in := &inbox{}
	if _, err := b.Subscribe(pattern, in.add); err != nil {
		t.Fatal(err)
	}
	return in
}

// Two instances on one broker: an event reaches every subscriber once,
// local ones included, in the order its instance published it.
func TestAcrossInstances(t *testing.T) {
	broker := natstest.ForTest(t)
	a := connect(t, broker.URL, natsbus.Config{})
	b := connect(t, broker.URL, natsbus.Config{})
	onA, onB := subscribe(t, a, "chat.>"), subscribe(t, b, "chat.>")
	onBExact := subscribe(t, b, "chat.room")

	const n = 1000
	var want []string
	for i := range n {
		subject := "chat.room"
		if i%2 == 1 {
			subject = "chat.other"
		}
		if err := a.Publish(context.Background(), subject, []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		want = append(want, subject+"="+strconv.Itoa(i))
	}
	wharftest.WaitFor(t, "the other instance to get every event", func() bool { return onB.len() >= n && onBExact.len() >= n/2 })
	for name, in := range map[string]*inbox{"publisher's own": onA, "other instance's": onB} {
		got := in.snapshot()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s subscriber got %d events, out of order or repeated (first %v)", name, len(got), got[:min(5, len(got))])
		}
	}
	if got := onBExact.len(); got != n/2 {
		t.Errorf("the exact subscription got %d events, want %d", got, n/2)
	}
	if err := b.Publish(context.Background(), "chat.room", []byte("back")); err != nil {
		t.Fatal(err)
	}
	wharftest.WaitFor(t, "the event from the other side", func() bool { return onA.len() == n+1 })

	stA := a.Stats()
	if stA.Published != n || stA.Lost != 0 || !stA.Connected || stA.Delivered != n+1 {
		t.Errorf("publisher's stats %+v", stA)
	}
}

// While the broker is down, Publish says the event is lost and counts it
// (local subscribers still get it); once the broker is back, the
// subscriptions work again without anyone resubscribing.
func TestBrokerOutage(t *testing.T) {
	broker := natstest.ForTest(t)
	reader := sdkmetric.NewManualReader()
	a := connect(t, broker.URL, natsbus.Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	b := connect(t, broker.URL, natsbus.Config{})
	onA, onB := subscribe(t, a, "news"), subscribe(t, b, "news")

	broker.Stop()
	wharftest.WaitFor(t, "the bus to see the broker gone", func() bool { return !a.Stats().Connected })
	const lost = 5
	for i := range lost {
		if err := a.Publish(context.Background(), "news", []byte(strconv.Itoa(i))); !errors.Is(err, natsbus.ErrNotConnected) {
			t.Fatalf("Publish during the outage: %v, want ErrNotConnected", err)
		}
	}
	if got := onA.len(); got != lost {
		t.Errorf("the local subscriber got %d events during the outage, want %d", got, lost)
	}
	if st := a.Stats(); st.Lost != lost || st.Published != 0 {
		t.Errorf("stats during the outage %+v, want %d lost", st, lost)
	}
	if v := metricValue(t, reader, "wharf.cluster.events.lost"); v != lost {
		t.Errorf("wharf.cluster.events.lost = %d, want %d", v, lost)
	}
	if v := metricValue(t, reader, "wharf.cluster.connected"); v != 0 {
		t.Errorf("wharf.cluster.connected = %d during the outage", v)
	}

	broker.Restart()
	wharftest.WaitFor(t, "both instances to reconnect", func() bool { return a.Stats().Connected && b.Stats().Connected })
	// b's subscription reaches the broker on its own connection: probe
	// until it is there.
	wharftest.WaitFor(t, "an event across the restarted broker", func() bool {
		a.Publish(context.Background(), "news", []byte("after"))
		return onB.len() > 0
	})
	for _, e := range onB.snapshot() {
		if e != "news=after" {
			t.Errorf("the other instance got %q: an event from the outage was delivered late", e)
		}
	}
	if st := a.Stats(); st.Reconnects < 1 {
		t.Errorf("stats after the restart %+v, want a reconnect", st)
	}
	if v := metricValue(t, reader, "wharf.cluster.connected"); v != 1 {
		t.Errorf("wharf.cluster.connected = %d after the restart", v)
	}
}

// An instance may start before its broker: Connect succeeds, events are
// lost (and say so) until the broker comes up, then flow, to a
// subscription made while the broker was down too.
func TestStartBeforeBroker(t *testing.T) {
	broker := natstest.ForTest(t)
	broker.Stop()
	a := connect(t, broker.URL, natsbus.Config{})
	onA := subscribe(t, a, "x") // made with no broker: sent when it comes
	err := a.Publish(context.Background(), "x", nil)
	if !errors.Is(err, natsbus.ErrNotConnected) || !errors.Is(err, cluster.ErrNotDelivered) {
		t.Fatalf("Publish with no broker: %v", err)
	}
	if st := a.Stats(); st.Lost != 1 || st.Connected {
		t.Fatalf("stats with no broker %+v, want 1 lost", st)
	}
	broker.Restart()
	b := connect(t, broker.URL, natsbus.Config{})
	onB := subscribe(t, b, "x")
	wharftest.WaitFor(t, "an event once the broker is up", func() bool {
		a.Publish(context.Background(), "x", nil)
		return onB.len() > 0
	})
	before := onA.len()
	wharftest.WaitFor(t, "an event to the subscription made before the broker came", func() bool {
		b.Publish(context.Background(), "x", nil)
		return onA.len() > before
	})
}

// A subscriber that panics on a remote event is logged and counted, and
// the process and the subscription go on; a local panic does not keep the
// event from the other subscribers, here or elsewhere.
func TestSubscriberPanics(t *testing.T) {
	broker := natstest.ForTest(t)
	rec, logger := wharftest.NewLogRecorder()
	a := connect(t, broker.URL, natsbus.Config{Logger: logger})
	b := connect(t, broker.URL, natsbus.Config{})
	onB := subscribe(t, b, "p")
	if _, err := a.Subscribe("p", func(string, []byte) { panic("in a subscriber") }); err != nil {
		t.Fatal(err)
	}
	onA := subscribe(t, a, "p")
	if err := a.Publish(context.Background(), "p", []byte("local")); err != nil {
		t.Fatalf("Publish with a panicking local subscriber: %v", err)
	}
	if err := b.Publish(context.Background(), "p", []byte("remote")); err != nil {
		t.Fatal(err)
	}
	wharftest.WaitFor(t, "both events everywhere", func() bool { return onA.len() == 2 && onB.len() == 2 })
	panics := func() (n int) {
		for _, r := range rec.Records() {
			if r.Message == "natsbus: panic in a subscriber" && r.Attrs["stack"].String() != "" {
				n++
			}
		}
		return n
	}
	wharftest.WaitFor(t, "both panics logged", func() bool { return panics() == 2 })
}

// Options the caller adds cannot break the Bus: its own closed handler
// still runs (and Close returns), and the reconnect buffer stays off.
func TestCallerOptions(t *testing.T) {
	broker := natstest.ForTest(t)
	closed := make(chan struct{})
	a := connect(t, broker.URL, natsbus.Config{Options: []nats.Option{
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
		nats.NoCallbacksAfterClientClose(),
		nats.ReconnectBufSize(1 << 20),
		nats.MaxReconnects(1),
	}})
	broker.Stop()
	wharftest.WaitFor(t, "the bus to see the broker gone", func() bool { return !a.Stats().Connected })
	if err := a.Publish(context.Background(), "x", nil); !errors.Is(err, natsbus.ErrNotConnected) {
		t.Fatalf("Publish while away with a reconnect buffer asked for: %v", err)
	}
	done := make(chan struct{})
	go func() { a.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung")
	}
	select {
	case <-closed:
	default:
		t.Fatal("the caller's closed handler did not run")
	}
}

// A subscription that falls behind by more than PendingMessages drops the
// excess; every event is then either delivered or counted as lost.
func TestSlowConsumer(t *testing.T) {
	broker := natstest.ForTest(t)
	a := connect(t, broker.URL, natsbus.Config{})
	b := connect(t, broker.URL, natsbus.Config{PendingMessages: 10})
	release := make(chan struct{})
	var once sync.Once
	if _, err := b.Subscribe("flood", func(string, []byte) { once.Do(func() { <-release }) }); err != nil {
		t.Fatal(err)
	}
	const n = 200
	for range n {
		if err := a.Publish(context.Background(), "flood", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	wharftest.WaitFor(t, "the slow subscription to drop events", func() bool { return b.Stats().Lost > 0 })
	close(release)
	wharftest.WaitFor(t, "every event delivered or lost", func() bool {
		st := b.Stats()
		return st.Delivered+st.Lost == n
	})
	st := b.Stats()
	if st.Lost == 0 || st.Delivered == 0 {
		t.Errorf("stats %+v: want some delivered and some lost", st)
	}
	b.Close()
	if after := b.Stats(); after.Lost != st.Lost {
		t.Errorf("Lost went from %d to %d at Close", st.Lost, after.Lost)
	}
}

func TestBadInput(t *testing.T) {
	broker := natstest.ForTest(t)
	a := connect(t, broker.URL, natsbus.Config{})
	if err := a.Publish(context.Background(), "a.*", nil); !errors.Is(err, cluster.ErrBadSubject) {
		t.Errorf("publishing on a wildcard: %v", err)
	}
	if _, err := a.Subscribe("a b", func(string, []byte) {}); !errors.Is(err, cluster.ErrBadSubject) {
		t.Errorf("subscribing to a bad subject: %v", err)
	}
	a.Close()
	if err := a.Publish(context.Background(), "a", nil); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
	if _, err := a.Subscribe("a", func(string, []byte) {}); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
	a.Close() // twice is harmless
	if _, err := natsbus.Connect(natsbus.Config{URL: "nats://[::1"}); err == nil {
		t.Error("Connect accepted a malformed URL")
	}
}

// metricValue collects reader and returns the int64 value of the named
// instrument.
func metricValue(t *testing.T, reader *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if len(d.DataPoints) == 1 {
					return d.DataPoints[0].Value
				}
			case metricdata.Gauge[int64]:
				if len(d.DataPoints) == 1 {
					return d.DataPoints[0].Value
				}
			}
			t.Fatalf("%s has data %T", name, m.Data)
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// An event the broker refuses (over its maximum payload) still reached
// the local subscribers: Publish says so, with an error wrapping
// cluster.ErrNotDelivered, and counts it lost.
func TestOversizeEventNotDelivered(t *testing.T) {
	broker := natstest.ForTest(t)
	b := connect(t, broker.URL, natsbus.Config{})
	in := subscribe(t, b, "big")
	err := b.Publish(context.Background(), "big", make([]byte, 2<<20))
	if !errors.Is(err, cluster.ErrNotDelivered) || !errors.Is(err, nats.ErrMaxPayload) {
		t.Fatalf("Publish of 2 MiB = %v, want an error wrapping cluster.ErrNotDelivered and nats.ErrMaxPayload", err)
	}
	if in.len() != 1 {
		t.Errorf("the local subscriber got %d events, want 1", in.len())
	}
	if st := b.Stats(); st.Lost != 1 || st.Published != 0 {
		t.Errorf("stats %+v, want 1 lost, 0 published", st)
	}
}

// The disconnect handlers given in Config.Options are called after the
// Bus's own, whichever of nats.go's two forms they take (nats.go calls
// only the one with an error when both are set, and the Bus sets that
// one).
func TestUserDisconnectHandlersCalled(t *testing.T) {
	broker := natstest.ForTest(t)
	plain, withErr := make(chan struct{}, 1), make(chan struct{}, 1)
	connect(t, broker.URL, natsbus.Config{Options: []nats.Option{
		nats.DisconnectHandler(func(*nats.Conn) {
			select {
			case plain <- struct{}{}:
			default:
			}
		}),
		nats.DisconnectErrHandler(func(*nats.Conn, error) {
			select {
			case withErr <- struct{}{}:
			default:
			}
		}),
	}})
	broker.Stop()
	for name, ch := range map[string]chan struct{}{"nats.DisconnectHandler": plain, "nats.DisconnectErrHandler": withErr} {
		select {
		case <-ch:
		case <-time.After(wharftest.Patience):
			t.Errorf("%s not called once the broker stopped", name)
		}
	}
}

// A subject or pattern longer than MaxSubjectLen is refused as a bad
// subject, and nobody gets the event: the broker dropped the connection
// over it, with an error after which nats.go never reconnected, so one
// long subject cut the instance off from the cluster for good (Publish
// returned nil and counted it published). One of MaxSubjectLen bytes
// crosses the broker.
func TestLongSubjectRefused(t *testing.T) {
	broker := natstest.ForTest(t)
	a := connect(t, broker.URL, natsbus.Config{})
	b := connect(t, broker.URL, natsbus.Config{})
	long := strings.Repeat("a", natsbus.MaxSubjectLen-2) + ".b"
	onA, onB := subscribe(t, a, ">"), subscribe(t, b, long)

	// Just over the bound, and over the broker's 4 KiB.
	for _, tooLong := range []string{long + "c", strings.Repeat("b", 4<<10)} {
		if err := a.Publish(context.Background(), tooLong, nil); !errors.Is(err, cluster.ErrBadSubject) {
			t.Errorf("Publish on a subject of %d bytes = %v, want cluster.ErrBadSubject", len(tooLong), err)
		}
		if _, err := a.Subscribe(tooLong, func(string, []byte) {}); !errors.Is(err, cluster.ErrBadSubject) {
			t.Errorf("Subscribe to a pattern of %d bytes = %v, want cluster.ErrBadSubject", len(tooLong), err)
		}
	}
	if onA.len() != 0 {
		t.Errorf("the local subscriber got %v", onA.len())
	}
	wharftest.WaitFor(t, "an event on a subject of MaxSubjectLen bytes across the broker", func() bool {
		if err := a.Publish(context.Background(), long, []byte("x")); err != nil {
			t.Fatalf("Publish on a subject of MaxSubjectLen bytes: %v", err)
		}
		return onB.len() > 0
	})
	if st := a.Stats(); !st.Connected || st.Lost != 0 {
		t.Errorf("stats %+v, want connected and nothing lost", st)
	}
}
