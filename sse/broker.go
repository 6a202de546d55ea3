package sse

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Broker carries published events to the open streams of their topics.
// Publish, PublishWait, PublishWaitFunc, Stats and Close may be called
// from any goroutine; Serve and the Handler's Serve from a handler's
// dispatch.
//
// The zero Broker is ready to use, as NewBroker(Config{}) would make it
// (a MemoryLog, and every default Config names): it sets itself up on its
// first use, whichever method and goroutine that is. NewBroker is for any
// other Config. A Broker must not be copied once used.
type Broker struct {
	// once sets the Broker up: in NewBroker, or, for a zero Broker, at the
	// first call of a method (ready).
	once sync.Once
	cfg  Config
	log  Log

	mu     sync.RWMutex
	closed bool
	topics map[string]map[*stream]struct{}

	subsPool sync.Pool // of *[]*stream: copies of streams to visit outside mu

	// hb is the heartbeat tick, one for every stream: running while any
	// is open (hbOn), under mu.
	hb   *time.Timer
	hbOn bool

	streams   atomic.Int64
	opened    atomic.Uint64
	published atomic.Uint64
	delivered atomic.Uint64
	slow      atomic.Uint64
}

// Stats counts a Broker's streams and events.
type Stats struct {
	Streams   int    // streams open now
	Opened    uint64 // streams opened since the broker was made
	Published uint64 // events Publish accepted
	Delivered uint64 // events written to streams, replayed ones included
	Slow      uint64 // streams ended because their client read too slowly
}

// NewBroker returns a Broker configured by cfg, whose log it opens. A
// Config.MissedEvent no event could carry (a line break) is refused with
// ErrInvalidEvent.
func NewBroker(cfg Config) (*Broker, error) {
	cfg = cfg.withDefaults()
	if cfg.MissedEvent != "-" {
		// A type the wire cannot carry (a line break) would make every
		// missed event fail to encode, and Serve send none, silently.
		if err := (Event{Event: cfg.MissedEvent}).check(); err != nil {
			return nil, fmt.Errorf("sse: Config.MissedEvent: %w", err)
		}
	}
	b := new(Broker)
	var err error
	b.once.Do(func() { err = b.setup(cfg) })
	if err != nil {
		return nil, err
	}
	return b, nil
}

// setup makes b the Broker of cfg (with its defaults) and opens its log.
func (b *Broker) setup(cfg Config) error {
	b.cfg, b.log = cfg, cfg.Log
	b.topics = map[string]map[*stream]struct{}{}
	b.subsPool.New = func() any { return new([]*stream) }
	if ml, ok := b.log.(*MemoryLog); ok {
		ml.open(b.deliver, b) // so that Close can drop it
		return nil
	}
	return b.log.Open(b.deliver)
}

// ready sets up a zero Broker, with Config's defaults, on its first use:
// Publish, PublishWait, PublishWaitFunc, Serve (the Handler's too) and
// Close call it first; Stats needs nothing but its counters. Once
// NewBroker made b, it does nothing.
func (b *Broker) ready() {
	b.once.Do(func() {
		// The default log is a MemoryLog, whose opening cannot fail, and
		// the default MissedEvent is one an event carries.
		_ = b.setup(Config{}.withDefaults())
	})
}

// isClosed reports whether Close was called.
func (b *Broker) isClosed() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.closed
}

// Publish appends ev to topic's log, which numbers it (ev.ID is ignored)
// and delivers it to every stream of the topic, on this instance and on
// any other sharing the log. It does not wait for the streams: one that
// cannot keep up is ended (Config.MaxQueue), never waited for.
func (b *Broker) Publish(topic string, ev Event) error {
	b.ready()
	if err := CheckTopic(topic); err != nil {
		return err
	}
	if err := ev.check(); err != nil {
		return err
	}
	b.mu.RLock()
	closed := b.closed
	b.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	ev.ID = ""
	if err := b.log.Append(topic, ev); err != nil {
		return err
	}
	b.published.Add(1)
	return nil
}

// PublishWait publishes ev as Publish does, but waits until the log has
// numbered it, and returns the ID it gave it: the id: its streams send.
// With MemoryLog it does not wait (the event is numbered, and delivered
// to this instance's streams, when it returns); with natssse it waits for
// one JetStream acknowledgment, and the deliveries follow. ctx bounds the
// wait; when it ends first, the error is ctx's and the event may have
// been published all the same. Publish, which does not wait, remains the
// call for publishers that need not know the ID. The Broker's log must be
// a WaitLog; otherwise PublishWait returns errors.ErrUnsupported.
func (b *Broker) PublishWait(ctx context.Context, topic string, ev Event) (id string, err error) {
	return b.publishWait(topic, ev.check, func(wl WaitLog) (uint64, error) {
		ev.ID = ""
		return wl.AppendWait(ctx, topic, ev)
	})
}

// PublishWaitFunc is PublishWait for an event that carries its own ID in
// its data: it publishes the event that build makes for id, the ID the
// event gets, so that the two agree. The log may try several IDs before
// one is free (natssse: when another publisher, on any instance, took the
// ID the log expected), calling build again for each, and the event of
// the last call is the one published. build runs under the log's locks
// (MemoryLog's topic lock): it should only make the event, and must not
// publish to the topic itself. An error from build, or an event it makes
// that Publish would refuse, is returned, and nothing is published.
func (b *Broker) PublishWaitFunc(ctx context.Context, topic string, build func(id string) (Event, error)) (string, error) {
	return b.publishWait(topic, func() error { return nil }, func(wl WaitLog) (uint64, error) {
		return wl.AppendWaitFunc(ctx, topic, func(id uint64) (Event, error) {
			ev, err := build(strconv.FormatUint(id, 10))
			if err != nil {
				return Event{}, err
			}
			if err := ev.check(); err != nil {
				return Event{}, err
			}
			ev.ID = ""
			return ev, nil
		})
	})
}

// publishWait is PublishWait's and PublishWaitFunc's: it checks the topic,
// the event (check) and the Broker, appends with the log, and counts.
func (b *Broker) publishWait(topic string, check func() error, appendWait func(WaitLog) (uint64, error)) (string, error) {
	b.ready()
	if err := CheckTopic(topic); err != nil {
		return "", err
	}
	if err := check(); err != nil {
		return "", err
	}
	wl, ok := b.log.(WaitLog)
	if !ok {
		return "", fmt.Errorf("sse: PublishWait: the log %T does not say the IDs it gives (it is no WaitLog): %w", b.log, errors.ErrUnsupported)
	}
	b.mu.RLock()
	closed := b.closed
	b.mu.RUnlock()
	if closed {
		return "", ErrClosed
	}
	id, err := appendWait(wl)
	if err != nil {
		return "", err
	}
	b.published.Add(1)
	return strconv.FormatUint(id, 10), nil
}

// deliver is the log's delivery: the event, encoded once, is offered to
// every stream of its topic, none of which may block it.
//
// The streams are offered the frame outside the lock: an idle stream's
// pump runs in offer, on this goroutine, and writes.
func (b *Broker) deliver(topic string, ev Event) {
	b.mu.RLock()
	subs := b.topics[topic]
	if len(subs) == 0 {
		b.mu.RUnlock()
		return
	}
	list := b.copyOf(subs)
	b.mu.RUnlock()
	if f, err := encode(ev); err == nil { // else not from a Publish of ours: nothing a stream could send
		for _, s := range *list {
			s.offer(f)
		}
	}
	b.release(list)
}

// copyOf copies the streams of the given topics' sets into a list from
// the pool, so that they can be visited outside mu; release gives it back.
func (b *Broker) copyOf(sets ...map[*stream]struct{}) *[]*stream {
	list := b.subsPool.Get().(*[]*stream)
	for _, subs := range sets {
		for s := range subs {
			*list = append(*list, s)
		}
	}
	return list
}

func (b *Broker) release(list *[]*stream) {
	clear(*list)
	*list = (*list)[:0]
	b.subsPool.Put(list)
}

// subscribe adds s to its topic; it fails once the Broker is closed.
func (b *Broker) subscribe(s *stream) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	subs := b.topics[s.topic]
	if subs == nil {
		subs = map[*stream]struct{}{}
		b.topics[s.topic] = subs
	}
	subs[s] = struct{}{}
	b.streams.Add(1)
	b.opened.Add(1)
	if b.cfg.Heartbeat > 0 && !b.hbOn {
		b.hbOn = true
		if b.hb == nil {
			b.hb = time.AfterFunc(b.cfg.Heartbeat, b.tick)
		} else {
			b.hb.Reset(b.cfg.Heartbeat)
		}
	}
	return nil
}

// tick is the heartbeat: every Config.Heartbeat, each stream that wrote
// nothing since the last tick sends a comment. One timer serves every
// stream (a timer each would cost an idle stream more than the rest of
// its state); it stops when no stream is open.
func (b *Broker) tick() {
	b.mu.Lock()
	if b.closed || len(b.topics) == 0 {
		b.hbOn = false
		b.mu.Unlock()
		return
	}
	list := b.copyOf(slices.Collect(maps.Values(b.topics))...)
	b.hb.Reset(b.cfg.Heartbeat)
	b.mu.Unlock()
	for _, s := range *list {
		s.beat()
	}
	b.release(list)
}

// unsubscribe removes s from its topic, and the topic once empty.
func (b *Broker) unsubscribe(s *stream) {
	b.mu.Lock()
	defer b.mu.Unlock()
	subs := b.topics[s.topic]
	if _, ok := subs[s]; !ok {
		return
	}
	delete(subs, s)
	if len(subs) == 0 {
		delete(b.topics, s.topic)
	}
	b.streams.Add(-1)
}

// Stats returns the Broker's counts.
func (b *Broker) Stats() Stats {
	return Stats{
		Streams:   int(b.streams.Load()),
		Opened:    b.opened.Load(),
		Published: b.published.Load(),
		Delivered: b.delivered.Load(),
		Slow:      b.slow.Load(),
	}
}

// Close ends every open stream as a container's shutdown does (their
// responses complete; clients reconnect, elsewhere, and catch up from the
// log), refuses new streams and events, and closes the log (a MemoryLog,
// which other Brokers may share, only stops delivering to this one). It
// does not wait for the responses to finish. Closing twice is harmless.
func (b *Broker) Close() error {
	b.ready() // a zero Broker closed unused refuses what follows, as any closed one
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	if b.hb != nil {
		b.hb.Stop()
		b.hbOn = false
	}
	all := b.copyOf(slices.Collect(maps.Values(b.topics))...)
	b.mu.Unlock()
	for _, s := range *all {
		s.stop()
	}
	b.release(all)
	if ml, ok := b.log.(*MemoryLog); ok {
		ml.drop(b)
	}
	return b.log.Close()
}
