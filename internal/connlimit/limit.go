// Package connlimit bounds a server's open connections as Jetty's
// ConnectionLimit does: at the limit the server stops accepting, so new
// connections wait in the listen backlog, where they cost the process
// nothing, instead of being accepted and closed.
//
// An accept loop that never blocks (the epoll connector's selector) first
// reserves a slot (Reserve); the connection it accepts turns the
// reservation into an open connection (Opened), and an accept that finds
// nothing gives it back (Unreserve). At the limit, Reserve pauses the
// loop's listener (takes it out of its poll set), and the first slot to
// free resumes it. A blocking accept loop (Accept on a net.Listener)
// would hold a reserved slot for as long as its listener has no client,
// so it only waits for the count to be under the limit (Wait): each such
// loop may take one connection over it.
//
// It imports the standard library only.
package connlimit

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Pausable is a listener that an accept loop which does not block takes
// out of its poll set at the limit, and puts back when a slot frees.
type Pausable interface {
	Pause()
	Resume()
}

// Limit counts the connections open and being accepted against Max. The
// zero value is not ready: use New.
type Limit struct {
	max    int // <= 0: no limit, only Close counts
	closed atomic.Bool
	done   chan struct{} // closed by Close, for Wait

	mu       sync.Mutex
	open     int           // connections Opened and not Closed
	reserved int           // slots taken by accepts under way
	free     chan struct{} // closed when a slot frees, for Wait
	paused   []Pausable    // listeners paused at the limit
}

// New returns a limit of max connections; max <= 0 means none.
func New(max int) *Limit { return &Limit{max: max, done: make(chan struct{})} }

// Reserve reserves a slot for one accept, or reports the limit reached
// or the limit closed. At the limit, a non-nil p is paused, to be resumed
// by the first slot to free; the pause happens under the lock, so that it
// cannot land after that resume, or after Close.
func (l *Limit) Reserve(p Pausable) bool {
	if l.max <= 0 {
		return !l.closed.Load()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return false // its listener is closed, or about to be: leave it be
	}
	if l.roomLocked() {
		l.reserved++
		return true
	}
	if p != nil {
		p.Pause()
		l.paused = append(l.paused, p)
	}
	return false
}

// Unreserve gives back a slot an accept did not use.
func (l *Limit) Unreserve() {
	if l.max <= 0 {
		return
	}
	l.mu.Lock()
	l.reserved--
	l.freedLocked()
	l.mu.Unlock()
}

// Wait is for a blocking accept loop: it waits until the count is under
// the limit, without reserving (see above), and reports false if the
// limit is closed first.
func (l *Limit) Wait() bool {
	if l.max <= 0 {
		return !l.closed.Load() // no limit: no lock on the accept path
	}
	for {
		l.mu.Lock()
		if l.closed.Load() {
			l.mu.Unlock()
			return false
		}
		if l.roomLocked() {
			l.mu.Unlock()
			return true
		}
		if l.free == nil {
			l.free = make(chan struct{})
		}
		free := l.free
		l.mu.Unlock()
		select {
		case <-free:
		case <-l.done:
			return false
		}
	}
}

// Opened counts a connection accepted; reserved says the accept held a
// reservation, which the connection now takes over.
func (l *Limit) Opened(reserved bool) {
	if l.max <= 0 {
		return
	}
	l.mu.Lock()
	if reserved {
		l.reserved--
	}
	l.open++
	l.mu.Unlock()
}

// Closed counts a connection closed (or given away), freeing its slot.
func (l *Limit) Closed() {
	if l.max <= 0 {
		return
	}
	l.mu.Lock()
	l.open--
	l.freedLocked()
	l.mu.Unlock()
}

// Close refuses every reservation and wait from now on, and forgets the
// paused listeners: their owner closes them, and they must never be
// touched again.
func (l *Limit) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed.Swap(true) {
		close(l.done)
	}
	l.paused = nil
}

// Forget forgets p if it is paused: its accept loop ended.
func (l *Limit) Forget(p Pausable) {
	l.mu.Lock()
	l.paused = slices.DeleteFunc(l.paused, func(q Pausable) bool { return q == p })
	l.mu.Unlock()
}

// roomLocked reports whether the connections open and being accepted are
// under the limit. l.mu is held.
func (l *Limit) roomLocked() bool { return l.open+l.reserved < l.max }

// freedLocked wakes the accept loops waiting for a slot, if there is one
// now. l.mu is held.
func (l *Limit) freedLocked() {
	if !l.roomLocked() {
		return
	}
	if l.free != nil {
		close(l.free)
		l.free = nil
	}
	for _, p := range l.paused {
		p.Resume()
	}
	l.paused = l.paused[:0]
}
