// Package lazydone is a done channel made only when somebody asks for it.
//
// A request's context, an exchange's Done and a WebSocket's Done are each
// asked for by few of the many requests and connections that have one;
// making the channel up front would cost every one of them an allocation
// it never uses. The caller keeps the channel and an "over" flag where it
// likes (in a word of its own flags, say) and guards both with its own
// lock: these functions only say how the two change together. Word is
// the same in one word without a lock, for a caller that has none. It
// imports only the standard library.
package lazydone

import "sync/atomic"

// closed is returned to whoever asks once it is over and nobody asked
// before: one closed channel serves them all. Never written after init.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Chan returns the done channel *ch, making it on the first call: a
// closed one if over. The caller holds the lock that guards ch and over.
func Chan(ch *chan struct{}, over bool) <-chan struct{} {
	if *ch == nil {
		if over {
			return closed
		}
		*ch = make(chan struct{})
	}
	return *ch
}

// Closed returns the shared closed channel Chan gives a late asker: for a
// caller that answers one without keeping a channel of its own.
func Closed() <-chan struct{} { return closed }

// End marks it over, closing *ch if somebody asked for it; it reports
// false, and does nothing, if it was over already. The caller holds the
// lock that guards ch and over.
func End(ch *chan struct{}, over *bool) bool {
	if *over {
		return false
	}
	*over = true
	if *ch != nil {
		close(*ch)
	}
	return true
}

// Word is a done channel made when first asked for, and its end, in one
// word that needs no lock: for state with no lock of its own to guard
// Chan and End with (a request's context, which lives in the container's
// per-request state, where every word counts). Any goroutine may call its
// methods. Asking for the channel before the end costs two allocations,
// the channel and a small record, instead of Chan's one.
type Word struct{ p atomic.Pointer[word] }

// word is a Word's channel and whether it was closed: the flag makes End
// close the channel once however many goroutines end it at once.
type word struct {
	ch     chan struct{}
	closed atomic.Bool
}

// ended is what a Word holds once it ended before anybody asked. Never
// written after init.
var ended = func() *word { w := &word{ch: closed}; w.closed.Store(true); return w }()

// Chan returns the done channel, making it on the first call: a closed
// one once it is over. Every call before the end returns the same
// channel.
func (d *Word) Chan() <-chan struct{} {
	if w := d.p.Load(); w != nil {
		return w.ch
	}
	w := &word{ch: make(chan struct{})}
	if d.p.CompareAndSwap(nil, w) {
		return w.ch
	}
	return d.p.Load().ch // another asker, or the end, came first
}

// End marks it over, closing the channel if somebody asked for it; it
// reports false, and does nothing, if it was over already.
func (d *Word) End() bool {
	for {
		w := d.p.Load()
		if w == nil {
			if d.p.CompareAndSwap(nil, ended) {
				return true
			}
			continue // somebody asked meanwhile: close theirs
		}
		if !w.closed.CompareAndSwap(false, true) {
			return false
		}
		close(w.ch)
		return true
	}
}

// Over reports whether the channel is closed: true exactly from the
// moment a receive from Chan's channel would no longer block, as a
// context's Err must.
func (d *Word) Over() bool {
	w := d.p.Load()
	if w == nil {
		return false
	}
	select {
	case <-w.ch:
		return true
	default:
		return false
	}
}
