// Package lazydone is a done channel made only when somebody asks for it.
//
// A request's context, an exchange's Done and a WebSocket's Done are each
// asked for by few of the many requests and connections that have one;
// making the channel up front would cost every one of them an allocation
// it never uses. The caller keeps the channel and an "over" flag where it
// likes (in a word of its own flags, say) and guards both with its own
// lock: these functions only say how the two change together. It imports
// only the standard library.
package lazydone

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
