package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	neturl "net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/wharf-go/wharf/cluster"
)

// Sentinel errors of package natsbus.
var (
	// ErrNotConnected is returned, or wrapped, by Publish while the
	// broker is out of reach: the other instances will not get the event
	// (it counts as lost). Local subscribers got it.
	ErrNotConnected = fmt.Errorf("natsbus: not connected to the broker: %w", cluster.ErrNotDelivered)
	// ErrGaveUp is wrapped by the errors of Publish and Subscribe once
	// nats.go has given up on the broker (it refused the Bus's
	// credentials twice in a row, or sent an error nats.go knows no way
	// back from): the connection is closed for good, and only a new Bus
	// reaches the broker again. nats.go's error is in the chain too;
	// Publish's error wraps ErrNotConnected as well, as the local
	// subscribers got the event.
	ErrGaveUp = errors.New("natsbus: gave up on the broker")
)

// errPublishGaveUp is Publish's error once nats.go has given up: made
// once, as a Publish may be called in a loop.
var errPublishGaveUp = fmt.Errorf("%w: %w: %w", ErrNotConnected, ErrGaveUp, nats.ErrConnectionClosed)

// Defaults of Config.
const (
	DefaultReconnectWait   = 250 * time.Millisecond
	DefaultPendingMessages = 64 << 10
	DefaultName            = "wharf"
	DefaultWriteTimeout    = 2 * time.Second
	DefaultPingInterval    = 5 * time.Second

	// subscribeFlushTimeout bounds Subscribe's wait for the broker.
	subscribeFlushTimeout = 2 * time.Second
)

// MaxSubjectLen is the longest subject Publish, or pattern Subscribe,
// takes, in bytes; a longer one is refused with an error wrapping
// cluster.ErrBadSubject, and nobody gets the event. A broker reads a
// subject within a protocol line of at most 4 KiB (its max_control_line)
// and drops a connection that sends a longer one with an error after
// which nats.go never reconnects: one long subject, from a room name a
// client chose, say, would cut the instance off from the cluster for
// good. A broker configured with a smaller max_control_line needs
// shorter subjects still.
const MaxSubjectLen = 4000

// Config configures a Bus. The zero value connects to nats.DefaultURL
// (nats://127.0.0.1:4222). Each field says what its zero means; a
// negative count or duration is taken as zero: none of them has a
// meaning for "none" that a Bus could work with (no wait between
// reconnection attempts is a loop that burns a core while the broker is
// away).
type Config struct {
	// URL is the broker's URL, or a comma-separated list of the servers
	// of a NATS cluster. Empty means nats.DefaultURL.
	URL string
	// Name is the connection name the broker shows. Empty means
	// DefaultName ("wharf").
	Name string
	// ReconnectWait is the wait between attempts to reach the broker
	// (nats.go adds up to 100 ms at random, unless Options set its
	// ReconnectJitter). Zero or negative means DefaultReconnectWait
	// (250 ms). Options that set the wait themselves win, as the
	// user's explicit choice: a nats.ReconnectWait there replaces this
	// field (a zero or negative one means DefaultReconnectWait too), and
	// a nats.CustomReconnectDelay replaces the wait altogether, jitter
	// included, with the delays its function returns, taken as they are.
	ReconnectWait time.Duration
	// PendingMessages bounds the events a subscription may have waiting
	// for its callback; beyond it they are dropped and counted as lost.
	// Zero or negative means DefaultPendingMessages (65,536): there is
	// always a bound. nats.go's bound of
	// 64 MiB of waiting bytes applies as well.
	PendingMessages int
	// WriteTimeout bounds a write to the broker. A Publish that finds the
	// send buffer full waits for it, so this is the longest a Publish can
	// take; a broker that does not read for that long is taken for gone.
	// It bounds an attempt to reach a server too: its dial and its
	// handshake get half of it each (nats.Options.Timeout, which Options
	// may make shorter but not longer). nats.go holds the connection's
	// lock while it tries, and a Subscribe, a Close, or a Publish racing
	// a disconnection nats.go has not reported yet waits for the attempt
	// to end. A dialer set in Options bounds its own dials.
	// Zero or negative means DefaultWriteTimeout (2 s).
	WriteTimeout time.Duration
	// PingInterval is how often the connection checks the broker is
	// there; two unanswered pings end the connection, so a silent network
	// partition is noticed within about three intervals. Zero or
	// negative means DefaultPingInterval (5 s).
	PingInterval time.Duration
	// Logger receives disconnections, reconnections and slow consumers.
	// Nil means slog.Default().
	Logger *slog.Logger
	// MeterProvider receives the bus's instruments, with the attribute
	// wharf.cluster.bus set to Name (give Buses that share a provider
	// different names). Nil means otel.GetMeterProvider() (no-op unless
	// an SDK is installed).
	MeterProvider metric.MeterProvider
	// Options are further nats.go options: credentials, TLS, servers. They
	// are applied first; what the Bus's semantics rest on is set after
	// them and cannot be changed: no echo, reconnecting forever (and when
	// a write times out), no buffering while away, callbacks after Close,
	// and the write timeout, the bound on an attempt to reach a server and
	// the ping interval above. Handlers given here (connected, closed,
	// disconnected, reconnected, reconnection errors, errors) are called
	// after the Bus's own, on nats.go's goroutine for them: the Bus learns
	// of the connection's state from there, so while a handler blocks,
	// Publish and Stats see the connection as it was before. The wait between attempts to reach the broker is the
	// user's to set here too, and what is set here wins over
	// ReconnectWait: nats.ReconnectWait replaces it, and
	// nats.CustomReconnectDelay replaces the wait altogether (nats.go
	// then calls its function for each delay, and neither ReconnectWait
	// nor the jitter applies). Nil leaves nats.go's defaults under the
	// Bus's settings.
	Options []nats.Option
}

// Bus is a cluster.Bus on a NATS connection. As cluster.Bus requires,
// every method may be called from any goroutine, at once; Close not from
// a subscriber's callback (see Close).
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
	// dropped counts the events slow subscriptions dropped: those gone,
	// and, for the live ones, what Dropped said last (nats.go stops
	// answering once a subscription is closed).
	droppedGone int64

	published, remote, lost, panics atomic.Int64

	// What nats.go's handlers said, kept here for Publish and Stats:
	// asking nats.go itself takes its lock, which its reconnection loop
	// holds while it dials and awaits a server's handshake.
	up         atomic.Bool  // a NATS session is up
	gone       atomic.Bool  // nats.go gave up on the broker
	reconnects atomic.Int64 // sessions made after Connect's attempt
	// settled is closed once nats.go has said how Connect's attempt
	// went: connected, or failed and retrying.
	settled    chan struct{}
	settleOnce sync.Once
}

// Connect opens the connection to the broker and returns the Bus. It does
// not wait for the broker: it tries each server of the URL once, each
// attempt bounded by WriteTimeout, and if none answered, the Bus keeps
// trying in the background, and publishes count as lost until it gets
// through. It fails only for a configuration nats.go refuses.
func Connect(cfg Config) (*Bus, error) {
	b := &Bus{cfg: cfg, local: cluster.NewLocal(), closed: make(chan struct{}), settled: make(chan struct{}), subs: make(map[*subscription]struct{})}
	b.log = cfg.Logger
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.cfg.Name == "" {
		b.cfg.Name = DefaultName
	}
	b.cfg.ReconnectWait = orDefault(cfg.ReconnectWait, DefaultReconnectWait)
	b.cfg.PendingMessages = orDefault(cfg.PendingMessages, DefaultPendingMessages)
	b.cfg.WriteTimeout = orDefault(cfg.WriteTimeout, DefaultWriteTimeout)
	b.cfg.PingInterval = orDefault(cfg.PingInterval, DefaultPingInterval)
	url := cfg.URL
	if url == "" {
		url = nats.DefaultURL
	}
	opts := nats.GetDefaultOptions()
	opts.Name = b.cfg.Name
	// nats.go's default wait is not the Bus's: a mark tells a wait the
	// options set, which wins over Config.ReconnectWait, from none.
	opts.ReconnectWait = reconnectWaitUnset
	for _, o := range cfg.Options {
		if err := o(&opts); err != nil {
			return nil, fmt.Errorf("natsbus: %w", err)
		}
	}
	if opts.ReconnectWait != reconnectWaitUnset {
		b.cfg.ReconnectWait = orDefault(opts.ReconnectWait, DefaultReconnectWait)
	}
	// nats.go splits a comma-separated list in nats.Connect's argument
	// only: Options.Url is parsed as one URL, and a list there names no
	// server at all. So the URL's servers go first in Options.Servers,
	// before those the options gave.
	var servers []string
	for u := range strings.SplitSeq(url, ",") {
		if u = strings.TrimSpace(u); u != "" {
			servers = append(servers, u)
		}
	}
	opts.Servers = append(servers, opts.Servers...)
	// What the Bus's semantics rest on, whatever the options said.
	opts.NoEcho = true // this instance's events go to its subscribers directly
	opts.RetryOnFailedConnect = true
	opts.AllowReconnect = true
	opts.MaxReconnect = -1
	// The options' wait, if they set one, or Config's; a
	// CustomReconnectDelayCB they set is kept, and nats.go prefers it.
	opts.ReconnectWait = b.cfg.ReconnectWait
	opts.ReconnectBufSize = -1 // no buffering while away: an event is sent now or lost
	opts.FlusherTimeout = b.cfg.WriteTimeout
	// nats.go holds its lock for a whole attempt to reach a server: the
	// dial and the wait for the handshake, each bounded by Timeout
	// (2 s by default). Half of WriteTimeout each keeps the attempt
	// within WriteTimeout, the longest a Publish is to wait.
	if half := b.cfg.WriteTimeout/2 + b.cfg.WriteTimeout%2; opts.Timeout <= 0 || opts.Timeout > half {
		opts.Timeout = half
	}
	// A write that timed out leaves the connection up, unless this is set:
	// nats.go would discard what it had buffered and take the next events
	// into a buffer the next timed-out write discards too, each Publish
	// returning nil, until the pings noticed (three PingIntervals).
	opts.ReconnectOnFlusherError = true
	opts.PingInterval = b.cfg.PingInterval
	opts.MaxPingsOut = 2
	opts.DrainTimeout = 5 * time.Second
	opts.NoCallbacksAfterClientClose = false // Close waits for the closed callback
	userDisconnected, userReconnected, userConnected := opts.DisconnectedErrCB, opts.ReconnectedCB, opts.ConnectedCB
	// nats.go calls DisconnectedErrCB instead of DisconnectedCB when both
	// are set: the Bus sets the first, so a handler given with
	// nats.DisconnectHandler is called from it.
	userDisconnectedNoErr := opts.DisconnectedCB
	opts.DisconnectedCB = nil
	userErr, userClosed, userReconnectErr := opts.AsyncErrorCB, opts.ClosedCB, opts.ReconnectErrCB
	opts.DisconnectedErrCB = func(nc *nats.Conn, err error) {
		b.up.Store(false)
		if err != nil && !b.closing() {
			b.log.Warn("natsbus: disconnected from the broker; events published until it is back are lost", "err", err)
		}
		if userDisconnected != nil {
			userDisconnected(nc, err)
		}
		if userDisconnectedNoErr != nil {
			userDisconnectedNoErr(nc)
		}
	}
	opts.ReconnectedCB = func(nc *nats.Conn) {
		b.reconnects.Add(1)
		b.up.Store(true)
		b.log.Info("natsbus: reconnected to the broker", "url", redactURLs([]string{nc.ConnectedUrl()}))
		if userReconnected != nil {
			userReconnected(nc)
		}
	}
	// nats.go calls the connected handler once, for the first session,
	// whether Connect's attempt made it or a retry after that attempt
	// failed: the failure's handler has then settled Connect already.
	opts.ConnectedCB = func(nc *nats.Conn) {
		select {
		case <-b.settled:
			b.reconnects.Add(1)
		default:
		}
		b.up.Store(true)
		b.settle()
		b.log.Info("natsbus: connected to the broker", "url", redactURLs([]string{nc.ConnectedUrl()}))
		if userConnected != nil {
			userConnected(nc)
		}
	}
	// nats.go reports each failed attempt to reach a server here, Connect's
	// own included (before the attempts that follow it).
	opts.ReconnectErrCB = func(nc *nats.Conn, err error) {
		// No session now, whatever a handler queued before said: a
		// connection lost between Connect's attempt and nats.go's
		// queueing of the connected handler has that handler run after
		// the disconnected one, and Publish would take the Bus for
		// connected until the next attempt's outcome, which this is.
		b.up.Store(false)
		b.settle()
		if userReconnectErr != nil {
			userReconnectErr(nc, err)
		}
	}
	opts.AsyncErrorCB = func(nc *nats.Conn, sub *nats.Subscription, err error) {
		if sub != nil {
			b.log.Warn("natsbus: subscription error", "subject", sub.Subject, "err", err)
		} else {
			b.log.Warn("natsbus: error", "err", err)
		}
		if userErr != nil {
			userErr(nc, sub, err)
		}
	}
	opts.ClosedCB = func(nc *nats.Conn) {
		b.up.Store(false)
		if !b.closing() {
			b.gone.Store(true)
			// nats.go closes the connection itself only when it gives up
			// (the broker refused the credentials twice, or sent an error
			// nats.go has no way back from): the Bus stays away from the
			// other instances until the process restarts.
			b.log.Error("natsbus: gave up on the broker; events are no longer sent to or received from the other instances", "err", nc.LastError())
		}
		if userClosed != nil {
			userClosed(nc)
		}
		b.settle()
		close(b.closed)
	}
	nc, err := opts.Connect()
	if err != nil {
		return nil, fmt.Errorf("natsbus: connecting to %s: %w", redactURLs(servers), redactError(err))
	}
	b.nc = nc
	// The handlers say whether the attempt made a session: asking nc
	// would wait for the retry loop's first attempt, under way already
	// when the URL lists several servers.
	<-b.settled
	if !b.up.Load() {
		b.log.Warn("natsbus: the broker is not reachable yet; events published until it is are lost", "url", redactURLs(servers))
	}
	if err := b.registerMetrics(); err != nil {
		b.mu.Lock()
		b.isClosed = true // not giving up: ClosedCB stays quiet
		b.mu.Unlock()
		nc.Close()
		<-b.closed
		return nil, err
	}
	return b, nil
}

// redactURLs returns the servers' URLs, comma-separated, with their
// credentials masked: a URL may carry the broker's password
// (nats://user:password@host) or its token (nats://token@host: nats.go
// takes a user without a password for one), which have no place in a log
// or an error. nats.go's ConnectedUrlRedacted masks the password alone.
func redactURLs(servers []string) string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = s
		u := s
		if u == "" {
			continue // not connected: ConnectedUrl says nothing
		}
		if !strings.Contains(u, "://") {
			u = "nats://" + u // as nats.go reads a URL without a scheme
		}
		if pu, err := neturl.Parse(u); err == nil {
			if pu.User != nil {
				if _, ok := pu.User.Password(); !ok {
					pu.User = neturl.User("xxxxx") // a token: masked as Redacted masks a password
				}
			}
			out[i] = pu.Redacted()
		} else if strings.Contains(s, "@") {
			out[i] = "(unparsable URL)" // it may hold credentials
		}
	}
	return strings.Join(out, ",")
}

// redactError returns nats.go's error with the URL it could not parse
// masked as redactURLs masks it: net/url's error quotes the URL whole,
// credentials included, and an invalid escape in it, which may be in the
// password.
func redactError(err error) error {
	var ue *neturl.Error
	if !errors.As(err, &ue) {
		return err
	}
	masked := &neturl.Error{Op: ue.Op, URL: redactURLs([]string{ue.URL}), Err: ue.Err}
	if _, ok := ue.Err.(neturl.EscapeError); ok && strings.Contains(ue.URL, "@") {
		masked.Err = errors.New("invalid URL escape")
	}
	return masked
}

// reconnectWaitUnset marks nats.Options.ReconnectWait while the options
// apply: still there after them, no option set the wait.
const reconnectWaitUnset time.Duration = math.MinInt64

// orDefault returns v, or def for zero or less. Taken as they are, a
// negative ReconnectWait has nats.go retry in a tight loop, a negative
// WriteTimeout or PingInterval turns off what notices a broker gone
// silent, and a negative PendingMessages lifts the bound on a
// subscription's queue.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// settle marks Connect's attempt as over.
func (b *Bus) settle() { b.settleOnce.Do(func() { close(b.settled) }) }

// gaveUp reports whether nats.go closed the connection itself, giving up
// on the broker: Close, which closes it too, sets isClosed first. Unlike
// b.gone, it knows before the closed handler has run, but it takes
// nats.go's lock.
func (b *Bus) gaveUp() bool {
	return b.nc.IsClosed() && !b.closing()
}

// closing reports whether Close was called.
func (b *Bus) closing() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.isClosed
}

// Publish hands the event to this instance's subscribers, then sends it to
// the broker. It returns an error wrapping ErrNotConnected (and counts the
// event as lost) if the broker is out of reach, ErrGaveUp too once nats.go
// has given up on it, or one wrapping cluster.ErrNotDelivered and
// nats.go's error if the broker refuses the event. A subject longer than
// MaxSubjectLen is refused with cluster.ErrBadSubject.
// Sending only copies the event into the connection's buffer; if that is
// full, Publish waits for the broker to read, at most WriteTimeout. Away
// from the broker, it returns at once, even while nats.go is trying to
// reach a server. ctx is not consulted.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte) error {
	if len(subject) > MaxSubjectLen {
		return fmt.Errorf("natsbus: a subject of %d bytes, over MaxSubjectLen: %w", len(subject), cluster.ErrBadSubject)
	}
	if err := b.local.Publish(ctx, subject, data); err != nil {
		var pe *cluster.PanicError
		if !errors.As(err, &pe) {
			return err
		}
		// A local subscriber panicked: the others got the event, and so
		// do the other instances.
		b.panics.Add(1)
		b.log.Error("natsbus: panic in a subscriber", "subject", subject, "panic", pe.Value, "stack", string(pe.Stack))
	}
	if !b.up.Load() {
		b.lost.Add(1)
		if b.gone.Load() {
			return errPublishGaveUp
		}
		return ErrNotConnected
	}
	if err := b.nc.Publish(subject, data); err != nil {
		b.lost.Add(1)
		// It went away in between: the connection broke, nats.go gave
		// up, or Close is draining it.
		switch {
		case errors.Is(err, nats.ErrConnectionClosed) && b.gaveUp():
			return fmt.Errorf("%w: %w: %w", ErrNotConnected, ErrGaveUp, err)
		case errors.Is(err, nats.ErrReconnectBufExceeded), errors.Is(err, nats.ErrConnectionClosed),
			errors.Is(err, nats.ErrConnectionDraining):
			return fmt.Errorf("%w: %w", ErrNotConnected, err)
		}
		// Too big for the broker, say: local subscribers have it, the
		// other instances will not, which is what ErrNotDelivered says.
		return fmt.Errorf("natsbus: publishing on %s: %w: %w", subject, cluster.ErrNotDelivered, err)
	}
	b.published.Add(1)
	return nil
}

// Subscribe calls fn for every event on the subjects pattern matches, from
// this instance (on the publisher's goroutine) and from the others (on the
// subscription's goroutine). Once nats.go has given up on the broker, it
// fails with an error wrapping ErrGaveUp. A pattern longer than
// MaxSubjectLen is refused with cluster.ErrBadSubject.
// Connected, Subscribe waits for the broker to confirm the subscription,
// at most 2 s. Away from the broker, it waits only for the attempt to
// reach a server nats.go may be making (at most WriteTimeout), and the
// subscription is sent once the broker is back.
func (b *Bus) Subscribe(pattern string, fn func(subject string, data []byte)) (cluster.Subscription, error) {
	if err := cluster.CheckSubscribe(pattern); err != nil {
		return nil, err
	}
	if len(pattern) > MaxSubjectLen {
		return nil, fmt.Errorf("natsbus: a pattern of %d bytes, over MaxSubjectLen: %w", len(pattern), cluster.ErrBadSubject)
	}
	if fn == nil {
		panic("natsbus: Subscribe with a nil callback")
	}
	if b.closing() {
		return nil, cluster.ErrClosed
	}
	ls, err := b.local.Subscribe(pattern, fn)
	if err != nil {
		return nil, err
	}
	// Not under b.mu: nats.go takes its lock, which its retry loop holds
	// for a whole attempt to reach a server, and b.mu is what Stats (the
	// metrics callback) and the handlers that keep the connection's
	// state take.
	ns, err := b.nc.Subscribe(pattern, func(m *nats.Msg) { b.deliver(fn, m) })
	if err != nil {
		ls.Unsubscribe()
		switch {
		case b.closing():
			return nil, cluster.ErrClosed // Close came meanwhile
		case errors.Is(err, nats.ErrConnectionClosed):
			// Close has not been called: nats.go closed the connection
			// itself.
			return nil, fmt.Errorf("natsbus: subscribing to %s: %w: %w", pattern, ErrGaveUp, err)
		}
		return nil, fmt.Errorf("natsbus: subscribing to %s: %w", pattern, err)
	}
	ns.SetPendingLimits(b.cfg.PendingMessages, nats.DefaultSubPendingBytesLimit)
	s := &subscription{b: b, local: ls, nats: ns}
	b.mu.Lock()
	if b.isClosed {
		// Close came meanwhile, and took the subscriptions it found: not
		// this one, which goes as theirs did.
		b.mu.Unlock()
		ls.Unsubscribe()
		ns.Unsubscribe()
		return nil, cluster.ErrClosed
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	if b.up.Load() {
		// Make the broker know the subscription before Subscribe returns,
		// so that an event another instance publishes after that reaches
		// it. Away from the broker, it is sent on reconnection.
		if err := b.nc.FlushTimeout(subscribeFlushTimeout); err != nil {
			b.log.Warn("natsbus: the broker has not confirmed a subscription yet", "subject", pattern, "err", err)
		}
	}
	return s, nil
}

// deliver runs a subscriber's callback for an event from another instance,
// on nats.go's goroutine for the subscription. A panic is logged and
// counted, and the subscription goes on: nats.go would let it end the
// process.
func (b *Bus) deliver(fn func(string, []byte), m *nats.Msg) {
	defer func() {
		if p := recover(); p != nil {
			b.panics.Add(1)
			b.log.Error("natsbus: panic in a subscriber", "subject", m.Subject, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	b.remote.Add(1)
	fn(m.Subject, m.Data)
}

type subscription struct {
	b       *Bus
	local   cluster.Subscription
	nats    *nats.Subscription
	once    sync.Once
	dropped int64 // what Dropped said last; under b.mu
}

// droppedLocked returns the events s dropped so far; b.mu is held.
func (s *subscription) droppedLocked() int64 {
	if d, err := s.nats.Dropped(); err == nil {
		s.dropped = int64(d)
	}
	return s.dropped
}

// Unsubscribe stops the deliveries. A callback already running finishes,
// and one may still start just after (nats.go hands over an event before it
// looks at the subscription); events waiting for it are discarded.
func (s *subscription) Unsubscribe() error {
	var err error
	s.once.Do(func() {
		s.local.Unsubscribe()
		b := s.b
		b.mu.Lock()
		if _, live := b.subs[s]; live {
			b.droppedGone += s.droppedLocked()
			delete(b.subs, s)
		}
		b.mu.Unlock()
		if uerr := s.nats.Unsubscribe(); uerr != nil && !errors.Is(uerr, nats.ErrConnectionClosed) &&
			!errors.Is(uerr, nats.ErrBadSubscription) && !errors.Is(uerr, nats.ErrConnectionDraining) {
			err = fmt.Errorf("natsbus: unsubscribing: %w", uerr)
		}
	})
	return err
}

// Stats returns the counts. Published counts the events sent to the
// broker; Delivered the callback calls, local and remote; Lost the events
// not sent and those dropped by slow subscriptions. It does not wait for
// nats.go's lock, nor for a Subscribe waiting for it while nats.go tries
// to reach a server.
func (b *Bus) Stats() cluster.Stats {
	b.mu.Lock()
	dropped := b.droppedGone
	for s := range b.subs {
		dropped += s.droppedLocked()
	}
	b.mu.Unlock()
	return cluster.Stats{
		Published:  b.published.Load(),
		Delivered:  b.local.Stats().Delivered + b.remote.Load(),
		Lost:       b.lost.Load() + dropped,
		Connected:  b.up.Load(),
		Reconnects: b.reconnects.Load(),
	}
}

// Close unsubscribes, sends what is buffered and closes the connection.
// While connected, it drains first: it waits for the callbacks of the
// events already received, at most 5 s, then for the last flush, at most
// 5 s more. Away from the broker there is nothing to drain: a callback
// running then, or one the drain stopped waiting for, may still be running
// when Close returns, and nats.go's goroutines end just after it. Do not
// call it from a subscriber's callback, whose return the drain waits for.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.isClosed = true
		for s := range b.subs { // their counts, while nats.go still answers
			b.droppedGone += s.droppedLocked()
		}
		clear(b.subs)
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
	conn, err4 := m.Int64ObservableGauge("wharf.cluster.connected", metric.WithDescription("1 while connected to the broker, else 0."))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return fmt.Errorf("natsbus: metrics: %w", err)
	}
	attrs := metric.WithAttributes(attribute.String("wharf.cluster.bus", b.cfg.Name))
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := b.Stats()
		o.ObserveInt64(pub, st.Published, attrs)
		o.ObserveInt64(del, st.Delivered, attrs)
		o.ObserveInt64(lost, st.Lost, attrs)
		var up int64
		if st.Connected {
			up = 1
		}
		o.ObserveInt64(conn, up, attrs)
		return nil
	}, pub, del, lost, conn)
	if err != nil {
		return fmt.Errorf("natsbus: metrics: %w", err)
	}
	b.reg = reg
	return nil
}

var _ cluster.Bus = (*Bus)(nil)
