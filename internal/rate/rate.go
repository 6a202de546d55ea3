// Package rate holds one direction of a request to a minimum data rate
// (Meter), and counts the events a peer causes against a token bucket
// (Bucket), for every protocol's connection code (connector,
// connector/http2, h3). It imports the standard library only.
package rate

import "time"

// A Meter holds one direction of a request to a minimum data rate, as
// Jetty's MinRequestDataRate and MinResponseDataRate do: bytes moved per
// second spent waiting for the peer. Only the waiting counts (a read that
// found bytes, a write the socket took at once), so a handler that is slow
// to read a body, or slow to produce a response, never makes its client
// look slow. The first Grace of waiting is free: a request's first bytes
// may take a round trip or a slow start.
//
// A Meter belongs to whoever owns the direction it measures (the body's
// reader, the response's writer); it is not safe for concurrent use. The
// zero Meter has no minimum.
type Meter struct {
	Min   int64         // bytes per second; <= 0: no minimum
	Grace time.Duration // waiting allowed whatever the bytes
	Usage
}

// Usage is what a Meter counts, without the limits: for an owner that
// keeps many directions under the same limits (every response of a
// server, say) and would rather not copy them into each.
type Usage struct {
	n      int64         // bytes moved
	waited time.Duration // time spent waiting for the peer
}

// New returns a Meter for min bytes per second after grace.
func New(min int64, grace time.Duration) Meter { return Meter{Min: min, Grace: grace} }

// budget returns how much longer the direction may wait for its peer
// before its rate falls below min bytes per second after grace, and false
// when there is no minimum. A budget <= 0 means the rate is below the
// minimum already.
func (u *Usage) budget(min int64, grace time.Duration) (time.Duration, bool) {
	if min <= 0 {
		return 0, false
	}
	// n/min seconds of waiting are earned by n bytes; split to stay
	// within int64 for any n.
	earned := time.Duration(u.n/min)*time.Second + time.Duration(u.n%min)*time.Second/time.Duration(min)
	return max(grace, earned) - u.waited, true
}

// Timeout returns how long the next wait may last: the per-wait timeout
// to, or less when the rate's budget ends first (then slow reports true).
// to <= 0 means no per-wait timeout; then so does a zero result with slow
// false.
func (r *Meter) Timeout(to time.Duration) (d time.Duration, slow bool) {
	return r.TimeoutFor(0, to)
}

// TimeoutFor is Timeout for a wait that moves k bytes at once (a write of
// k bytes): they earn their own time at the minimum rate.
func (r *Meter) TimeoutFor(k int, to time.Duration) (d time.Duration, slow bool) {
	return r.Usage.TimeoutUnder(r.Min, r.Grace, k, to)
}

// TimeoutUnder is Meter.TimeoutFor for the usage u under the limits min
// and grace.
func (u *Usage) TimeoutUnder(min int64, grace time.Duration, k int, to time.Duration) (d time.Duration, slow bool) {
	u.n += int64(k)
	b, ok := u.budget(min, grace)
	u.n -= int64(k)
	if !ok || (to > 0 && to <= b) {
		return to, false
	}
	return max(b, time.Nanosecond), true
}

// Waited records a wait for the peer that lasted d.
func (u *Usage) Waited(d time.Duration) { u.waited += d }

// Moved records n bytes read or written.
func (u *Usage) Moved(n int) { u.n += int64(n) }

// Total returns the bytes Moved recorded.
func (u *Usage) Total() int64 { return u.n }
