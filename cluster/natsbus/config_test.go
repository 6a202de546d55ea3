package natsbus_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A negative duration in Config is taken as zero, the default: nats.go
// got it as it was, and read a negative ReconnectWait as no wait at all
// (a tight loop while the broker is away), a negative WriteTimeout or
// PingInterval as no write deadline or no pings (a broker gone silent
// never noticed).
func TestNegativeDurationsAreDefaults(t *testing.T) {
	broker := natstest.ForTest(t)
	tests := []struct {
		name string
		cfg  natsbus.Config
		got  func(nats.Options) time.Duration
		want time.Duration
	}{
		{"ReconnectWait", natsbus.Config{ReconnectWait: -time.Second}, func(o nats.Options) time.Duration { return o.ReconnectWait }, natsbus.DefaultReconnectWait},
		{"WriteTimeout", natsbus.Config{WriteTimeout: -time.Second}, func(o nats.Options) time.Duration { return o.FlusherTimeout }, natsbus.DefaultWriteTimeout},
		{"PingInterval", natsbus.Config{PingInterval: -time.Second}, func(o nats.Options) time.Duration { return o.PingInterval }, natsbus.DefaultPingInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts nats.Options
			cfg := tt.cfg
			cfg.URL = broker.URL
			cfg.Logger = wharftest.DiscardLogger()
			// The closed handler sees the options nats.go was given.
			cfg.Options = []nats.Option{nats.ClosedHandler(func(nc *nats.Conn) { opts = nc.Opts })}
			b, err := natsbus.Connect(cfg)
			if err != nil {
				t.Fatal(err)
			}
			b.Close() // returns once the closed handler has run
			if got := tt.got(opts); got != tt.want {
				t.Errorf("nats.go got %v, want %v", got, tt.want)
			}
		})
	}
}

// dialRecorder dials like net.Dial and notes when it was asked to.
type dialRecorder struct {
	mu    sync.Mutex
	times []time.Time
}

// Dial implements nats.CustomDialer.
func (d *dialRecorder) Dial(network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.times = append(d.times, time.Now())
	d.mu.Unlock()
	return net.Dial(network, address)
}

func (d *dialRecorder) dials() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Time(nil), d.times...)
}

// With a negative ReconnectWait, a Bus whose broker is away waits
// DefaultReconnectWait between attempts, rather than dialing in a loop.
func TestNegativeReconnectWaitWaits(t *testing.T) {
	broker := natstest.ForTest(t)
	broker.Stop()
	d := &dialRecorder{}
	b, err := natsbus.Connect(natsbus.Config{
		URL:           broker.URL,
		ReconnectWait: -time.Hour,
		Logger:        wharftest.DiscardLogger(),
		Options:       []nats.Option{nats.SetCustomDialer(d)},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	wharftest.WaitFor(t, "four attempts to reach the broker", func() bool { return len(d.dials()) >= 4 })
	b.Close()
	// A timer never fires early: past the first attempts, each waited
	// ReconnectWait at least.
	dials := d.dials()
	for i := 2; i < len(dials); i++ {
		if gap := dials[i].Sub(dials[i-1]); gap < natsbus.DefaultReconnectWait {
			t.Fatalf("attempt %d came %v after the one before, want at least %v (%d attempts in %v)",
				i+1, gap, natsbus.DefaultReconnectWait, len(dials), dials[len(dials)-1].Sub(dials[0]))
		}
	}
}

// A negative PendingMessages bounds a subscription's queue at
// DefaultPendingMessages, as zero does: nats.go read it as no bound.
func TestNegativePendingMessagesBounded(t *testing.T) {
	broker := natstest.ForTest(t)
	a := connect(t, broker.URL, natsbus.Config{})
	b := connect(t, broker.URL, natsbus.Config{PendingMessages: -1})
	release := make(chan struct{})
	free := sync.OnceFunc(func() { close(release) })
	t.Cleanup(free) // before b's Close, which waits for the callback
	var once sync.Once
	if _, err := b.Subscribe("flood", func(string, []byte) { once.Do(func() { <-release }) }); err != nil {
		t.Fatal(err)
	}
	const n = natsbus.DefaultPendingMessages + 1000
	for range n {
		if err := a.Publish(context.Background(), "flood", nil); err != nil {
			t.Fatal(err)
		}
	}
	wharftest.WaitFor(t, "the slow subscription to drop events", func() bool { return b.Stats().Lost > 0 })
	free()
	wharftest.WaitFor(t, "every event delivered or lost", func() bool {
		st := b.Stats()
		return st.Delivered+st.Lost == n
	})
}

// The wait between attempts to reach the broker is Config.ReconnectWait
// unless Options set their own, which wins as the user's explicit
// choice: a nats.ReconnectWait (zero or negative meaning
// DefaultReconnectWait, as in Config), or a nats.CustomReconnectDelay,
// which nats.go prefers to any wait and which the Bus keeps.
func TestReconnectDelayFromOptions(t *testing.T) {
	broker := natstest.ForTest(t)
	custom := func(int) time.Duration { return 7 * time.Second }
	tests := []struct {
		name       string
		wait       time.Duration
		options    []nats.Option
		wantWait   time.Duration
		wantCustom bool
	}{
		{"neither", 0, nil, natsbus.DefaultReconnectWait, false},
		{"Config", time.Second, nil, time.Second, false},
		{"option", 0, []nats.Option{nats.ReconnectWait(3 * time.Second)}, 3 * time.Second, false},
		{"option over Config", time.Second, []nats.Option{nats.ReconnectWait(3 * time.Second)}, 3 * time.Second, false},
		{"option of nats.go's default", time.Second, []nats.Option{nats.ReconnectWait(nats.DefaultReconnectWait)}, nats.DefaultReconnectWait, false},
		{"negative option", time.Second, []nats.Option{nats.ReconnectWait(-time.Second)}, natsbus.DefaultReconnectWait, false},
		{"custom delay", time.Second, []nats.Option{nats.CustomReconnectDelay(custom)}, time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts nats.Options
			// The closed handler sees the options nats.go was given.
			captured := nats.ClosedHandler(func(nc *nats.Conn) { opts = nc.Opts })
			b, err := natsbus.Connect(natsbus.Config{
				URL:           broker.URL,
				ReconnectWait: tt.wait,
				Logger:        wharftest.DiscardLogger(),
				Options:       append(tt.options, captured),
			})
			if err != nil {
				t.Fatal(err)
			}
			b.Close() // returns once the closed handler has run
			if opts.ReconnectWait != tt.wantWait {
				t.Errorf("nats.go got ReconnectWait %v, want %v", opts.ReconnectWait, tt.wantWait)
			}
			switch cb := opts.CustomReconnectDelayCB; {
			case tt.wantCustom && (cb == nil || cb(1) != custom(1)):
				t.Error("nats.go did not get the options' custom reconnect delay")
			case !tt.wantCustom && cb != nil:
				t.Error("nats.go got a custom reconnect delay nobody gave")
			}
		})
	}
}
