package cluster

import (
	"context"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Local is the in-process Bus: Publish calls the matching callbacks on the
// publishing goroutine before it returns. It is the Bus of a single
// instance, and the local half of a broker-backed one (natsbus), which
// hands it the events of this instance and the broker the rest.
//
// The zero value is ready to use, as is NewLocal's. Every method may be
// called from any goroutine.
type Local struct {
	mu     sync.RWMutex
	subs   []*localSub // copied on write: Publish reads it without copying
	closed bool

	published, delivered atomic.Int64
}

// NewLocal returns an in-process Bus.
func NewLocal() *Local { return &Local{} }

type localSub struct {
	l       *Local
	pattern string
	fn      func(subject string, data []byte)
	gone    atomic.Bool
}

// Publish calls, on the calling goroutine, every callback subscribed to a
// pattern that subject matches. A callback that panics does not keep the
// event from the others: Publish then returns a *PanicError. ctx is not
// consulted: nothing waits.
func (l *Local) Publish(_ context.Context, subject string, data []byte) (err error) {
	if err := CheckPublish(subject); err != nil {
		return err
	}
	l.mu.RLock()
	subs, closed := l.subs, l.closed
	l.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	for _, s := range subs {
		if !s.gone.Load() && Match(s.pattern, subject) {
			l.delivered.Add(1)
			if perr := s.call(subject, data); perr != nil && err == nil {
				err = perr
			}
		}
	}
	if err == nil {
		l.published.Add(1) // Stats.Published counts the calls that returned nil
	}
	return err
}

// call runs the callback, turning a panic into a *PanicError.
func (s *localSub) call(subject string, data []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	s.fn(subject, data)
	return nil
}

// Subscribe registers fn for the subjects pattern matches ("*" and a final
// ">" are wildcards, as in NATS).
func (l *Local) Subscribe(pattern string, fn func(subject string, data []byte)) (Subscription, error) {
	if err := CheckSubscribe(pattern); err != nil {
		return nil, err
	}
	if fn == nil {
		panic("cluster: Subscribe with a nil callback")
	}
	s := &localSub{l: l, pattern: pattern, fn: fn}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	subs := make([]*localSub, len(l.subs), len(l.subs)+1)
	copy(subs, l.subs)
	l.subs = append(subs, s)
	return s, nil
}

func (s *localSub) Unsubscribe() error {
	if s.gone.Swap(true) {
		return nil
	}
	l := s.l
	l.mu.Lock()
	defer l.mu.Unlock()
	subs := make([]*localSub, 0, len(l.subs))
	for _, o := range l.subs {
		if o != s {
			subs = append(subs, o)
		}
	}
	l.subs = subs
	return nil
}

// Stats returns the counts; an in-process Bus loses nothing and is always
// connected.
func (l *Local) Stats() Stats {
	return Stats{Published: l.published.Load(), Delivered: l.delivered.Load(), Connected: true}
}

// Close cancels every subscription.
func (l *Local) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.subs {
		s.gone.Store(true)
	}
	l.subs, l.closed = nil, true
	return nil
}

var _ Bus = (*Local)(nil)
