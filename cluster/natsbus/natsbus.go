package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/wharf-go/wharf/cluster"
)

// Sentinel errors of package natsbus.
var (
	// ErrNotConnected is returned by Publish while the broker is out of
	// reach: the other instances will not get the event (it counts as
	// lost). Local subscribers got it.
	ErrNotConnected = errors.New("natsbus: not connected to the broker; event lost")
)

// Defaults of Config.
const (
	DefaultReconnectWait   = 250 * time.Millisecond
	DefaultPendingMessages = 64 << 10
	DefaultName            = "wharf"

	// subscribeFlushTimeout bounds Subscribe's wait for the broker.
	subscribeFlushTimeout = 2 * time.Second
)

// Config configures a Bus. The zero value connects to nats.DefaultURL
// (nats://127.0.0.1:4222).
type Config struct {
	// URL is the broker's URL, or a comma-separated list of the servers
	// of a NATS cluster. Empty means nats.DefaultURL.
	URL string
	// Name is the connection name the broker shows. Empty means
	// DefaultName ("wharf").
	Name string
	// ReconnectWait is the wait between attempts to reach the broker.
	// Zero means DefaultReconnectWait (250 ms).
	ReconnectWait time.Duration
	// PendingMessages bounds the events a subscription may have waiting
	// for its callback; beyond it they are dropped and counted as lost.
	// Zero means DefaultPendingMessages (65,536).
	PendingMessages int
	// Logger receives disconnections, reconnections and slow consumers.
	// Nil means slog.Default().
	Logger *slog.Logger
	// MeterProvider receives the bus's instruments. Nil means
	// otel.GetMeterProvider() (no-op unless an SDK is installed).
	MeterProvider metric.MeterProvider
	// Options are further nats.go options (credentials, TLS), applied
	// after the ones the Bus sets.
	Options []nats.Option
}

// Bus is a cluster.Bus on a NATS connection.
type Bus struct {
	cfg   Config
	nc    *nats.Conn
	local *cluster.Local
	log   *slog.Logger

	closed    chan struct{} // closed by nats.go's ClosedHandler
	closeOnce sync.Once
	reg       metric.Registration

	mu       sync.Mutex
	subs     map[*subscription]struct{}
	isClosed bool

	published, remote, lost, droppedGone atomic.Int64
}

// Connect opens the connection to the broker and returns the Bus. It does
// not wait for the broker: if the broker is down, the Bus keeps trying, and
// publishes count as lost until it gets through. It fails only for a
// configuration nats.go refuses.
func Connect(cfg Config) (*Bus, error) {
	b := &Bus{cfg: cfg, local: cluster.NewLocal(), closed: make(chan struct{}), subs: make(map[*subscription]struct{})}
	b.log = cfg.Logger
	if b.log == nil {
		b.log = slog.Default()
	}
	url := cfg.URL
	if url == "" {
		url = nats.DefaultURL
	}
	name := cfg.Name
	if name == "" {
		name = DefaultName
	}
	wait := cfg.ReconnectWait
	if wait == 0 {
		wait = DefaultReconnectWait
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.NoEcho(), // this instance's events go to its subscribers directly
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(wait),
		nats.ReconnectBufSize(-1), // no buffering while away: an event is sent now or lost
		nats.DrainTimeout(5 * time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil {
				return // our own Close
			}
			b.log.Warn("natsbus: disconnected from the broker; events published until it is back are lost", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("natsbus: reconnected to the broker", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ConnectHandler(func(nc *nats.Conn) {
			b.log.Info("natsbus: connected to the broker", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				b.log.Warn("natsbus: subscription error", "subject", sub.Subject, "err", err)
				return
			}
			b.log.Warn("natsbus: error", "err", err)
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
	}
	nc, err := nats.Connect(url, append(opts, cfg.Options...)...)
	if err != nil {
		return nil, fmt.Errorf("natsbus: connecting to %s: %w", url, err)
	}
	b.nc = nc
	if err := b.registerMetrics(); err != nil {
		nc.Close()
		<-b.closed
		return nil, err
	}
	return b, nil
}

// Publish hands the event to this instance's subscribers, then sends it to
// the broker. It returns ErrNotConnected (and counts the event as lost) if
// the broker is out of reach, or nats.go's error if it refuses the event.
// ctx is not consulted: sending never waits for the broker.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte) error {
	if err := b.local.Publish(ctx, subject, data); err != nil {
		return err
	}
	if !b.nc.IsConnected() {
		b.lost.Add(1)
		return ErrNotConnected
	}
	if err := b.nc.Publish(subject, data); err != nil {
		b.lost.Add(1)
		if errors.Is(err, nats.ErrReconnectBufExceeded) {
			return ErrNotConnected // it went away in between
		}
		return fmt.Errorf("natsbus: publishing on %s: %w", subject, err)
	}
	b.published.Add(1)
	return nil
}

// Subscribe calls fn for every event on the subjects pattern matches, from
// this instance (on the publisher's goroutine) and from the others (on the
// subscription's goroutine).
func (b *Bus) Subscribe(pattern string, fn func(subject string, data []byte)) (cluster.Subscription, error) {
	if err := cluster.CheckSubscribe(pattern); err != nil {
		return nil, err
	}
	if fn == nil {
		panic("natsbus: Subscribe with a nil callback")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.isClosed {
		return nil, cluster.ErrClosed
	}
	ls, err := b.local.Subscribe(pattern, fn)
	if err != nil {
		return nil, err
	}
	ns, err := b.nc.Subscribe(pattern, func(m *nats.Msg) {
		b.remote.Add(1)
		fn(m.Subject, m.Data)
	})
	if err != nil {
		ls.Unsubscribe()
		return nil, fmt.Errorf("natsbus: subscribing to %s: %w", pattern, err)
	}
	pending := b.cfg.PendingMessages
	if pending == 0 {
		pending = DefaultPendingMessages
	}
	ns.SetPendingLimits(pending, -1)
	if b.nc.IsConnected() {
		// Make the broker know the subscription before Subscribe returns,
		// so that an event another instance publishes after that reaches
		// it. Away from the broker, it is sent on reconnection.
		_ = b.nc.FlushTimeout(subscribeFlushTimeout)
	}
	s := &subscription{b: b, local: ls, nats: ns}
	b.subs[s] = struct{}{}
	return s, nil
}

type subscription struct {
	b     *Bus
	local cluster.Subscription
	nats  *nats.Subscription
	once  sync.Once
}

func (s *subscription) Unsubscribe() error {
	var err error
	s.once.Do(func() {
		s.local.Unsubscribe()
		b := s.b
		b.mu.Lock()
		delete(b.subs, s)
		b.mu.Unlock()
		if d, derr := s.nats.Dropped(); derr == nil {
			b.droppedGone.Add(int64(d))
		}
		if uerr := s.nats.Unsubscribe(); uerr != nil && !errors.Is(uerr, nats.ErrConnectionClosed) && !errors.Is(uerr, nats.ErrBadSubscription) {
			err = fmt.Errorf("natsbus: unsubscribing: %w", uerr)
		}
	})
	return err
}

// Stats returns the counts. Published counts the events sent to the
// broker; Delivered the callback calls, local and remote; Lost the events
// not sent and those dropped by slow subscriptions.
func (b *Bus) Stats() cluster.Stats {
	b.mu.Lock()
	dropped := b.droppedGone.Load()
	for s := range b.subs {
		if d, err := s.nats.Dropped(); err == nil {
			dropped += int64(d)
		}
	}
	b.mu.Unlock()
	return cluster.Stats{
		Published:  b.published.Load(),
		Delivered:  b.local.Stats().Delivered + b.remote.Load(),
		Lost:       b.lost.Load() + dropped,
		Connected:  b.nc.IsConnected(),
		Reconnects: int64(b.nc.Stats().Reconnects),
	}
}

// Close unsubscribes, sends what is buffered, closes the connection and
// waits until nats.go's goroutines are done, at most 5 s for the
// draining.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.isClosed = true
		b.mu.Unlock()
		if b.reg != nil {
			b.reg.Unregister()
		}
		b.local.Close()
		if err := b.nc.Drain(); err != nil {
			b.nc.Close() // not connected: nothing to drain
		}
		<-b.closed
	})
	return nil
}

func (b *Bus) registerMetrics() error {
	mp := b.cfg.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter("github.com/wharf-go/wharf/cluster/natsbus")
	pub, err1 := m.Int64ObservableCounter("wharf.cluster.events.published", metric.WithDescription("Events this instance sent to the broker."), metric.WithUnit("{event}"))
	del, err2 := m.Int64ObservableCounter("wharf.cluster.events.delivered", metric.WithDescription("Subscriber callbacks run on this instance, for local and remote events."), metric.WithUnit("{event}"))
	lost, err3 := m.Int64ObservableCounter("wharf.cluster.events.lost", metric.WithDescription("Events not sent while the broker was away, and events dropped by slow subscriptions."), metric.WithUnit("{event}"))
	conn, err4 := m.Int64ObservableUpDownCounter("wharf.cluster.connected", metric.WithDescription("1 while connected to the broker, else 0."))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return fmt.Errorf("natsbus: metrics: %w", err)
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := b.Stats()
		o.ObserveInt64(pub, st.Published)
		o.ObserveInt64(del, st.Delivered)
		o.ObserveInt64(lost, st.Lost)
		var up int64
		if st.Connected {
			up = 1
		}
		o.ObserveInt64(conn, up)
		return nil
	}, pub, del, lost, conn)
	if err != nil {
		return fmt.Errorf("natsbus: metrics: %w", err)
	}
	b.reg = reg
	return nil
}

var _ cluster.Bus = (*Bus)(nil)
