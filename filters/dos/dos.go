package dos

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
)

// Sentinel errors of package dos.
var (
	// ErrConfig is what New's error wraps for a Config it cannot use.
	ErrConfig = errors.New("dos: invalid configuration")
	// ErrMaxRequestTime is the cause of a request context cancelled by
	// Config.MaxRequestTime, and what a chain that fails after it fails
	// with, in an *api.StatusError of 503 (wrapping the chain's error).
	ErrMaxRequestTime = errors.New("dos: maximum request time exceeded")
	// ErrRateLimited is what a refused request fails with, in an
	// *api.StatusError of 429: the container answers it through its error
	// pages, as Jetty's DoSFilter answers with sendError.
	ErrRateLimited = errors.New("dos: rate limit exceeded")
)

// Defaults for the zero values of Config.
const (
	DefaultRate       = 25 // requests a second per client
	DefaultDelay      = 100 * time.Millisecond
	DefaultMaxDelayed = 1000    // requests delayed at once, all clients together
	DefaultIPv6Prefix = 64      // leading bits that name an IPv6 client
	DefaultMaxClients = 100_000 // clients with a bucket at once
)

// Config configures the filter. The zero value gives the defaults.
type Config struct {
	// Rate is the requests a second a client may make on average. Zero
	// or negative means DefaultRate.
	Rate float64
	// Burst is how many requests a client may make at once above the
	// rate. Zero or negative means Rate rounded up (at least 1).
	Burst int
	// Delay is how long an over-limit request is suspended before it tries
	// again (and is refused if the client is still over). Zero means
	// DefaultDelay; negative means no delay: refuse at once.
	Delay time.Duration
	// MaxDelayed is the most requests delayed at once, all clients
	// together; an over-limit request beyond it is refused at once. Each
	// delayed request holds its connection, its request and a timer, and
	// a flood from many addresses (or many streams of few connections)
	// has as many delayed as arrive in one Delay. Zero means
	// DefaultMaxDelayed (1,000); negative means no bound.
	MaxDelayed int
	// Key names the client of a request. Nil means the IP address of
	// its RemoteAddr (an IPv6 address cut to IPv6Prefix): the
	// connection's, or, behind filters/forwarded, the client's that a
	// trusted proxy reported; this filter reads no forwarding field
	// itself. Behind a proxy, a Key that reads
	// X-Forwarded-For must take the address the proxy appended (the
	// last), not one the client wrote, or any client picks its own key.
	// Without a Key, clients whose connection has no IP address (a
	// Unix socket's peers) are one client to the filter, sharing one
	// bucket, as the clients of a proxy are: behind a proxy on a Unix
	// socket, set Key.
	Key func(r *api.Request) string
	// IPv6Prefix is how many leading bits of an IPv6 address name a
	// client when Key is nil. A provider gives each of its customers a
	// /64 or more, and within it a client picks any address it likes:
	// keyed by the whole address, one client would have a fresh bucket
	// for every request. Zero means DefaultIPv6Prefix (64), so that the
	// hosts behind one /64 share a bucket, as the hosts behind one IPv4
	// address do; 128 keys each address apart. A link-local client
	// ("fe80::1%eth0") is keyed by its whole address and zone all the
	// same: it is a host on the server's own link, and every link's
	// link-local /64 is the same. IPv4 clients are keyed by their
	// address.
	IPv6Prefix int
	// AllowList holds addresses ("10.0.0.7", "::1") and prefixes
	// ("10.0.0.0/8") whose requests are never limited. The client's IP
	// address is matched, whatever Key returns; an IPv4-mapped entry
	// ("::ffff:10.0.0.7") matches the IPv4 client it stands for. Empty
	// exempts no one.
	AllowList []string
	// MaxRequestTime bounds each request's first dispatch, counted from
	// when the filter lets it in (after a delay, if it had one): the
	// chain's request context ends after it, with ErrMaxRequestTime, and
	// a chain that then fails is answered 503 (ErrMaxRequestTime in an
	// *api.StatusError). A re-dispatch (resumed, expired) gets the
	// request's own context. Zero or negative means no bound.
	MaxRequestTime time.Duration
	// MaxClients is the most clients with a bucket at once. A bucket
	// is forgotten only once it is full again, so without a bound a
	// flood of new keys (addresses of many /64s, Key values the client
	// writes) would grow the table for as long as their buckets take to
	// fill, and forgetting a bucket that is not full would hand its
	// client fresh tokens. At the bound, clients new to the filter share
	// one bucket until quiet clients are forgotten. Zero means
	// DefaultMaxClients (100,000, some 10 MB); negative means no bound.
	MaxClients int
}

// Stats is a snapshot of the filter.
type Stats struct {
	Clients  int   // clients with a bucket now
	Passed   int64 // requests let through (after a delay or not)
	Delayed  int64 // requests suspended for being over the limit
	Rejected int64 // requests answered 429
}

// Filter is the DoS filter; make it with New. Any number of requests may
// pass through it at once, on any goroutines, and Stats may be called from
// any goroutine: its buckets and counters are under one mutex.
type Filter struct {
	rate, burst    float64
	delay          time.Duration
	maxDelayed     int
	key            func(*api.Request) string
	ipv6Bits       int
	allow          []netip.Prefix
	maxRequestTime time.Duration
	maxClients     int

	mu      sync.Mutex
	buckets map[string]*bucket
	// overflow is the bucket the clients new to a table at MaxClients
	// share: making room by forgetting a bucket that is not full would
	// hand its client (an attacker rotating keys, say) fresh tokens.
	overflow bucket
	sweepAt  int // sweep idle buckets when the map reaches this size
	// sweptAt is when they were last swept: a map above the floor is
	// swept again every sweepEvery, so that the buckets a burst of
	// clients left are forgotten once it is over, not kept until the map
	// has doubled. (At most once a minute: a sweep walks the whole map
	// under f.mu.)
	sweptAt    time.Time
	sweepEvery time.Duration
	stats      Stats
	delayed    int // requests delayed now
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

// New returns a DoS filter for cfg. It fails, with an error wrapping
// ErrConfig, on an AllowList entry that is neither an address nor a
// prefix, and on an IPv6Prefix outside 0 to 128.
func New(cfg Config) (*Filter, error) {
	if cfg.IPv6Prefix < 0 || cfg.IPv6Prefix > 128 {
		return nil, fmt.Errorf("%w: IPv6Prefix %d is not a prefix length (0 to 128)", ErrConfig, cfg.IPv6Prefix)
	}
	f := &Filter{rate: cfg.Rate, burst: float64(cfg.Burst), delay: cfg.Delay, maxDelayed: cfg.MaxDelayed, key: cfg.Key,
		ipv6Bits: cfg.IPv6Prefix, maxRequestTime: cfg.MaxRequestTime, buckets: make(map[string]*bucket), sweepAt: minSweep,
		maxClients: cfg.MaxClients}
	if f.ipv6Bits == 0 {
		f.ipv6Bits = DefaultIPv6Prefix
	}
	if f.rate <= 0 {
		f.rate = DefaultRate
	}
	if f.burst <= 0 {
		f.burst = max(1, math.Ceil(f.rate))
	}
	if f.delay == 0 {
		f.delay = DefaultDelay
	}
	if f.maxDelayed == 0 {
		f.maxDelayed = DefaultMaxDelayed
	}
	switch {
	case f.maxClients == 0:
		f.maxClients = DefaultMaxClients
	case f.maxClients < 0:
		f.maxClients = math.MaxInt // no bound: no table reaches it
	}
	f.overflow.tokens = f.burst
	f.sweepEvery = max(time.Minute, time.Duration(f.burst/f.rate*float64(time.Second)))
	for _, s := range cfg.AllowList {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%w: allow-list entry %q is neither an address nor a prefix", ErrConfig, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		f.allow = append(f.allow, unmapPrefix(p).Masked())
	}
	return f, nil
}

// Stats returns a snapshot of the counters.
func (f *Filter) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.stats
	st.Clients = len(f.buckets)
	return st
}

// delayedKey marks the re-dispatch of a request this filter delayed; its
// value is the *delay. It names the filter: another DoS filter in the same
// chain (a limit per user behind one per address) must neither count that
// re-dispatch again nor take it for one it delayed itself.
type delayedKey struct{ f *Filter }

// delay is one suspension of a request by this filter. arrived is set when
// its re-dispatch runs: from then on a timeout of the request is a later
// suspension's, by the chain, and none of this filter's business.
type delay struct {
	arrived atomic.Bool
	ended   atomic.Bool // its place under MaxDelayed was given back
	timer   *time.Timer // resumes the request when the delay is up
}

// end gives d's place under MaxDelayed back, once.
func (d *delay) end(f *Filter) {
	if d.ended.CompareAndSwap(false, true) {
		f.mu.Lock()
		f.delayed--
		f.mu.Unlock()
	}
}

// passedKey marks the request this filter let into the chain, and the
// requests derived from it there: a forward or include with filters
// (dispatcher.WithFilters) that comes back through the filter is the same
// request, counted when it arrived. It names the filter, as delayedKey
// does.
type passedKey struct{ f *Filter }

// Filter implements api.Filter.
func (f *Filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	if r.Attribute(passedKey{f}) != nil {
		// Nested in its own pass (a forward with filters): counted, and
		// under MaxRequestTime, already.
		return next.Next(w, r)
	}
	d, delayed := r.Attribute(delayedKey{f}).(*delay)
	if delayed {
		d.arrived.Store(true)
		d.end(f)
		// Only an initial dispatch is delayed: the chain inside sees that
		// pass, not this filter's Resume (a long poll suspends on it).
		r = async.WithKind(r, async.DispatchInitial)
	}
	if !delayed && r.Exchange() != nil && !continuation.Of(r).IsInitial() {
		// A re-dispatch of a request let in before (resumed or expired by
		// the chain): it was counted when it arrived.
		return next.Next(w, r)
	}
	ip := clientIP(r.RemoteAddr())
	if f.allowed(ip) {
		return f.pass(w, r, next)
	}
	var key string
	if f.key != nil {
		key = f.key(r)
	} else {
		key = f.clientKey(ip)
	}
	retry, ok := f.take(key, time.Now())
	if ok {
		return f.pass(w, r, next)
	}
	if delayed || f.delay < 0 || !f.reserveDelay() {
		return f.reject(w, retry)
	}
	d = &delay{}
	cont := continuation.Of(r)
	cont.SetTimeout(f.delay + time.Minute) // a safety net: the timer below resumes it
	if err := cont.Suspend(); err != nil {
		d.end(f)
		return f.reject(w, retry) // no container to suspend it: refuse at once
	}
	f.mu.Lock()
	f.stats.Delayed++
	f.mu.Unlock()
	// The timer holds no goroutine while it waits; a request whose client
	// left meanwhile cannot be resumed, and that is all but for its place
	// under MaxDelayed, which its completion gives back.
	attr := api.Attr{Key: delayedKey{f}, Value: d}
	// A delay that expires instead (a graceful shutdown expires a
	// continuation at once, or the safety net) ends as the timer's would:
	// the expired re-dispatch would otherwise pass as a re-dispatch of a
	// request let in, uncounted.
	cont.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) {
		if !d.arrived.Load() {
			// The timer must not fire later on: by then the request may
			// be in, suspended by the chain (a long poll waiting through
			// the shutdown), and its Resume would re-dispatch it as a
			// delayed request trying again. (The timeout runs after this
			// dispatch returns, so d.timer is set.)
			d.timer.Stop()
			cont.Resume(attr)
		}
	}, OnComplete: func(*api.Request, error) { d.end(f) }})
	d.timer = time.AfterFunc(f.delay, func() { cont.Resume(attr) })
	return nil
}

// clientKey is the bucket key of a client at ip when Config.Key is nil.
func (f *Filter) clientKey(ip netip.Addr) string {
	if !ip.Is6() || f.ipv6Bits == 128 || ip.IsLinkLocalUnicast() {
		return ip.String()
	}
	p, _ := ip.Prefix(f.ipv6Bits) // it drops the zone, which only link-local addresses need
	return p.String()
}

// reserveDelay takes a place under MaxDelayed, if one is free.
func (f *Filter) reserveDelay() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.maxDelayed >= 0 && f.delayed >= f.maxDelayed {
		return false
	}
	f.delayed++
	return true
}

// pass runs the chain, under MaxRequestTime if set.
func (f *Filter) pass(w api.Response, r *api.Request, next api.Chain) error {
	f.mu.Lock()
	f.stats.Passed++
	f.mu.Unlock()
	r = r.WithAttribute(passedKey{f}, true)
	if f.maxRequestTime <= 0 {
		return next.Next(w, r)
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), f.maxRequestTime, ErrMaxRequestTime)
	if r.Exchange() == nil {
		defer cancel() // no container: the request ends when the chain returns
	} else {
		// The request may outlive this dispatch (suspended below): the
		// deadline's timer goes when the request completes.
		continuation.Of(r).AddListener(continuation.Listener{OnComplete: func(*api.Request, error) { cancel() }})
	}
	err := next.Next(w, r.WithContext(ctx))
	// A chain that gave up at the deadline (its handler returned the
	// context's error, a backend's call cut short) would otherwise be
	// answered 500 and logged as a failure: the limit is the server's
	// choice, as a timeout filter's, and says so with a 503.
	var se *api.StatusError
	if err != nil && errors.Is(context.Cause(ctx), ErrMaxRequestTime) && !errors.As(err, &se) {
		return &api.StatusError{Code: http.StatusServiceUnavailable, Err: fmt.Errorf("%w: %w", ErrMaxRequestTime, err)}
	}
	return err
}

// take takes a token from key's bucket at now; without one it reports how
// long until the next.
func (f *Filter) take(key string, now time.Time) (retry time.Duration, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.buckets[key]
	if b == nil {
		n := len(f.buckets)
		if n >= f.sweepAt || n >= minSweep && now.Sub(f.sweptAt) >= f.sweepEvery || n >= f.maxClients && now.Sub(f.sweptAt) >= fullSweepEvery {
			f.sweepLocked(now)
		}
		if len(f.buckets) >= f.maxClients {
			b = &f.overflow
		} else {
			b = &bucket{tokens: f.burst, at: now}
			f.buckets[key] = b
		}
	}
	b.tokens = min(f.burst, b.tokens+now.Sub(b.at).Seconds()*f.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / f.rate * float64(time.Second)), false
}

// sweepLocked forgets the buckets that are full again (their clients have
// been quiet long enough that forgetting them changes nothing), and sets
// the next sweep at twice what is left. f.mu is held.
func (f *Filter) sweepLocked(now time.Time) {
	for k, b := range f.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*f.rate >= f.burst {
			delete(f.buckets, k)
		}
	}
	f.sweepAt = max(minSweep, 2*len(f.buckets))
	f.sweptAt = now
}

// minSweep is the size below which the buckets are never swept.
const minSweep = 1024

// fullSweepEvery is how often a table at MaxClients is swept at most, to
// make room for new clients: a sweep walks the whole table under f.mu.
const fullSweepEvery = time.Second

func (f *Filter) allowed(ip netip.Addr) bool {
	// A link-local client's address carries its zone ("fe80::1%eth0"),
	// which no prefix contains (netip.Prefix.Contains): the entries name
	// addresses, so the zone is left out of the match.
	ip = ip.WithZone("")
	for _, p := range f.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// reject fails the request with 429 (ErrRateLimited), with Retry-After
// (whole seconds, at least 1): the container's error pages answer it, so
// that an API answers it in the format of its other errors, and the
// header field stays on the answer, as an error keeps the fields set
// before it.
func (f *Filter) reject(w api.Response, retry time.Duration) error {
	f.mu.Lock()
	f.stats.Rejected++
	f.mu.Unlock()
	if w.Committed() {
		return nil
	}
	secs := max(1, int64((retry+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	return &api.StatusError{Code: http.StatusTooManyRequests, Err: ErrRateLimited}
}

// unmapPrefix writes an IPv4-mapped prefix ("::ffff:10.0.0.0/104") as the
// IPv4 one it stands for, as client addresses are unmapped before they
// are compared.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// clientIP is the address part of "ip:port" (unmapped from IPv4-in-IPv6),
// or the zero Addr.
func clientIP(remote string) netip.Addr {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	a, _ := netip.ParseAddr(strings.Trim(host, "[]"))
	return a.Unmap()
}
