package connector

import "time"

// A dataRate holds one direction of a request to a minimum data rate, as
// Jetty's MinRequestDataRate and MinResponseDataRate do: bytes moved per
// second spent waiting for the peer. Only the waiting counts (a read that
// found bytes, a write the socket took at once), so a handler that is slow
// to read a body, or slow to produce a response, never makes its client
// look slow. The first DataRateGrace of waiting is free: a request's first
// bytes may take a round trip or a slow start.
//
// A dataRate belongs to whoever owns the direction it measures (the body's
// reader, the response's writer); it is not safe for concurrent use.
type dataRate struct {
	min    int64         // bytes per second; <= 0: no minimum
	grace  time.Duration // waiting allowed whatever the bytes
	n      int64         // bytes moved
	waited time.Duration // time spent waiting for the peer
}

// budget returns how much longer the direction may wait for its peer
// before its rate falls below the minimum, and false when there is no
// minimum. A budget <= 0 means the rate is below the minimum already.
func (r *dataRate) budget() (time.Duration, bool) {
	if r.min <= 0 {
		return 0, false
	}
	// n/min seconds of waiting are earned by n bytes; split to stay
	// within int64 for any n.
	earned := time.Duration(r.n/r.min)*time.Second + time.Duration(r.n%r.min)*time.Second/time.Duration(r.min)
	return max(r.grace, earned) - r.waited, true
}

// timeout returns how long the next wait may last: the per-wait timeout
// to, or less when the rate's budget ends first (then slow reports true).
// to <= 0 means no per-wait timeout; then so does a zero result with slow
// false.
func (r *dataRate) timeout(to time.Duration) (d time.Duration, slow bool) {
	return r.timeoutFor(0, to)
}

// timeoutFor is timeout for a wait that moves k bytes at once (a write of
// k bytes): they earn their own time at the minimum rate.
func (r *dataRate) timeoutFor(k int, to time.Duration) (d time.Duration, slow bool) {
	r.n += int64(k)
	b, ok := r.budget()
	r.n -= int64(k)
	if !ok || (to > 0 && to <= b) {
		return to, false
	}
	return max(b, time.Nanosecond), true
}

// waitedFor records a wait for the peer that lasted d.
func (r *dataRate) waitedFor(d time.Duration) { r.waited += d }

// moved records n bytes read or written.
func (r *dataRate) moved(n int) { r.n += int64(n) }
