package sse

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"
)

// MemoryLog is a Log in the memory of one process: a bounded ring of
// events per topic, numbered one by one from the log's first ID. Every
// topic ever published keeps its ring (up to the retained count of
// events) for the life of the log.
//
// Nothing survives a restart, and a client reconnecting with an ID from
// before it must be told that it missed events, not resumed at whatever
// the new log numbered the same. So the first ID is, unless WithFirstID
// says otherwise, one above the time the log was made, in microseconds
// since 1970 (about 1.8×10¹⁵ in 2027, an exact number in JavaScript
// until the year 2255): every ID an earlier log gave lies below it,
// unless that log numbered more than a million events a second of a
// topic over its life or the clock went back between the two. Since
// then reports the client's ID as missed, and it gets what is retained.
//
// As Log requires, every method may be called from any goroutine.
// It delivers an event on the goroutine that appends it, before Append
// returns, to every Broker that opened it and is not closed.
type MemoryLog struct {
	retain  int
	first   uint64     // the ID of each topic's first event
	deliver []delivery // each Open's, under mu; never changed in place

	mu     sync.Mutex
	topics map[string]*ring
}

// delivery is one Open's: f, and the Broker that opened the log with it
// (nil for an Open of another caller), whose Close drops it.
type delivery struct {
	f  func(topic string, ev Event)
	by *Broker
}

// ring holds a topic's last events: evs[(start+i)%len] for i < n once it
// is full, evs[:n] before.
type ring struct {
	mu    sync.Mutex
	last  uint64 // the ID of the topic's last event; before any, the log's first ID less one
	evs   []Event
	start int
}

var _ WaitLog = (*MemoryLog)(nil)

// A MemoryLogOption configures a MemoryLog; see NewMemoryLog.
type MemoryLogOption func(*MemoryLog)

// WithFirstID makes id the ID of each topic's first event, in place of
// one derived from the clock (see MemoryLog); zero is taken as 1. It is
// for IDs that must be known in advance, as in tests and examples: a log
// numbered from the same ID in every process resumes a client that
// reconnects after a restart at an event of the new log with its old
// ID, silently.
func WithFirstID(id uint64) MemoryLogOption {
	return func(l *MemoryLog) { l.first = max(id, 1) }
}

// NewMemoryLog returns a MemoryLog keeping retain events per topic (zero
// or less: DefaultRetain, 1,000), its IDs starting above the time it is made, in
// microseconds, unless an option says otherwise.
func NewMemoryLog(retain int, opts ...MemoryLogOption) *MemoryLog {
	if retain <= 0 {
		retain = DefaultRetain
	}
	l := &MemoryLog{retain: retain, topics: map[string]*ring{}}
	if us := time.Now().UnixMicro(); us > 0 {
		l.first = uint64(us) + 1
	} else {
		l.first = 1 // a clock before 1970
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Open implements Log.
func (l *MemoryLog) Open(deliver func(topic string, ev Event)) error {
	l.open(deliver, nil)
	return nil
}

// open is Open for b, whose Close drops deliver (see drop).
func (l *MemoryLog) open(deliver func(topic string, ev Event), b *Broker) {
	l.mu.Lock()
	// Every Broker sharing the log gets every event (see Log.Open): a
	// second Open that replaced the first's would leave the first
	// Broker's streams without events, its publishers' own included. A
	// new array, so that an append delivering meanwhile keeps its own.
	l.deliver = append(l.deliver[:len(l.deliver):len(l.deliver)], delivery{deliver, b})
	l.mu.Unlock()
}

// drop forgets the delivery b opened the log with: the log may outlive b
// (shared by Brokers made and closed one after another), and would
// otherwise keep b and its streams reachable and call it on every Append.
// Close cannot do it, as it cannot tell which Broker calls it.
func (l *MemoryLog) drop(b *Broker) {
	l.mu.Lock()
	// A new array, as in open.
	l.deliver = slices.DeleteFunc(slices.Clone(l.deliver), func(d delivery) bool { return d.by == b })
	l.mu.Unlock()
}

func (l *MemoryLog) ring(topic string, create bool) (*ring, []delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.topics[topic]
	if r == nil && create {
		r = &ring{last: l.first - 1}
		l.topics[topic] = r
	}
	return r, l.deliver
}

// Append implements Log: it numbers ev, keeps it, and delivers it while
// it holds the topic's lock, so that a topic's events are delivered in
// order and never while Since reads.
func (l *MemoryLog) Append(topic string, ev Event) error {
	_, err := l.append(topic, func(uint64) (Event, error) { return ev, nil })
	return err
}

// AppendWait implements WaitLog. It never waits: Append has numbered,
// kept and delivered the event when it returns.
func (l *MemoryLog) AppendWait(_ context.Context, topic string, ev Event) (uint64, error) {
	return l.append(topic, func(uint64) (Event, error) { return ev, nil })
}

// AppendWaitFunc implements WaitLog: build is called once, under the
// topic's lock, with the topic's next ID, so it must not append to the
// topic itself.
func (l *MemoryLog) AppendWaitFunc(_ context.Context, topic string, build func(id uint64) (Event, error)) (uint64, error) {
	return l.append(topic, build)
}

// append numbers the event build makes, keeps it and delivers it, all
// under the topic's lock: the ID build is given is the one the event
// gets, since no other event of the topic can take it meanwhile.
func (l *MemoryLog) append(topic string, build func(id uint64) (Event, error)) (uint64, error) {
	r, deliver := l.ring(topic, true)
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.last + 1
	ev, err := build(id)
	if err != nil {
		return 0, err
	}
	r.last = id
	ev.ID = strconv.FormatUint(id, 10)
	if len(r.evs) < l.retain {
		r.evs = append(r.evs, ev)
	} else {
		r.evs[r.start] = ev
		r.start = (r.start + 1) % len(r.evs)
	}
	for _, d := range deliver {
		d.f(topic, ev)
	}
	return id, nil
}

// Since implements Log.
func (l *MemoryLog) Since(_ context.Context, topic string, after uint64) ([]Event, uint64, bool, error) {
	r, _ := l.ring(topic, false)
	if r == nil {
		// Never numbered: its last ID is the one before the log's first,
		// as a ring's is before its first event, and that is the ID a
		// missed event gives its client. With 0 there, a client back
		// with it after this log numbered the topic and gave way to
		// another (a restart) would ask the new log for everything it
		// retains, and be told nothing of what the old one published
		// while it was away. Any other ID but 0 (no ID) is one this log
		// never gave.
		last := l.first - 1
		return nil, last, after > 0 && after != last, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := uint64(len(r.evs))
	first := r.last - n + 1 // the ID of the oldest retained event
	missed := after > r.last || after+1 < first
	if after == 0 {
		// 0 is no ID: the client saw nothing and asks for everything
		// retained, missing only what the log dropped.
		missed = first > l.first
	}
	from := first
	if !missed && after > 0 {
		from = after + 1
	}
	evs := make([]Event, 0, r.last+1-from)
	for id := from; id <= r.last; id++ {
		evs = append(evs, r.evs[(uint64(r.start)+id-first)%n])
	}
	return evs, r.last, missed, nil
}

// Close implements Log. It drops no delivery: a MemoryLog may be shared
// by several Brokers, and Close cannot tell which one calls it. A
// Broker's Close drops its own; one given to Open by another caller stays
// for the life of the log.
func (l *MemoryLog) Close() error { return nil }
