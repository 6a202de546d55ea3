package rate

import "time"

// A Bucket counts events a peer causes against a token bucket: burst at
// once, refilled at perSecond, and by Give, which the owner calls for an
// event that offsets one (a stream answered in full, for the resets a
// client causes: connector/http2's and h3's rapid-reset bounds). It is
// refilled when a token is taken, from the time of the last refill,
// rather than by a timer, and keeps the fraction of a token the time
// since then holds. The limits are the caller's, given to Take, so that a
// Bucket is two words and a time for whoever keeps one per connection.
//
// A Bucket is not safe for concurrent use: its owner's lock covers it.
// The zero Bucket is full.
type Bucket struct {
	spent int       // tokens taken and not given back; 0: full
	at    time.Time // when the last refill was due, while not full
}

// Take takes a token at now, the bucket refilled first for the time since
// its last refill, and reports false, taking none, when none is left of
// burst refilled at perSecond (which must be above 0).
func (b *Bucket) Take(now time.Time, burst, perSecond int) bool {
	every := time.Second / time.Duration(perSecond)
	if b.spent > 0 {
		if d := now.Sub(b.at); d >= time.Duration(burst)*every {
			b.spent = 0
		} else if n := int(d / every); n > 0 {
			b.spent = max(0, b.spent-n)
			b.at = b.at.Add(time.Duration(n) * every) // the fraction of a token is kept
		}
	}
	if b.spent == 0 {
		b.at = now // full: the refill starts with the first token taken
	}
	if b.spent >= burst {
		return false
	}
	b.spent++
	return true
}

// Give puts a token back, if any was taken.
func (b *Bucket) Give() {
	if b.spent > 0 {
		b.spent--
	}
}
