package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/cluster"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/sse"
)

// event is one chat message, as the poll answers it.
type event struct {
	From string `json:"from"`
	Text string `json:"text"`
}

// maxQueue bounds the events kept for a member who stopped polling; beyond
// it the oldest are dropped.
const maxQueue = 1000

// member is one participant: the events not yet delivered to it and the
// poll, if any, that waits for them.
type member struct {
	queue  []event
	waiter *waiter
	// streams counts the member's open GET /chat/events: while it has
	// one, its messages go there and are not queued for polls.
	streams int
}

// waiter is a suspended poll. ex identifies its request across dispatches:
// every Request of one exchange returns the same Exchange value, while the
// Request values themselves differ from dispatch to dispatch.
type waiter struct {
	ex api.Exchange
	c  continuation.Continuation
}

// supersededKey is the attribute a poll is resumed with when a newer poll of
// the same member (or a leave) replaced it: it answers [] and leaves the
// queue to the newer poll.
type supersededKey struct{}

// room is the chat room. All its state is guarded by mu. Continuations are
// resumed after mu is released, so no resumed dispatch ever waits for it
// while a caller holds it.
//
// Messages go through a cluster.Bus: say publishes, and the room's
// subscription queues what arrives for the members of this process and
// resumes their polls. With the in-process bus that is a function call;
// with natsbus, the processes sharing a broker form one room, each holding
// the members that joined it (their polls must come back to it).
type room struct {
	bus    cluster.Bus
	log    *slog.Logger
	events *sse.Broker // GET /chat/events: every message of the room, on eventsTopic

	mu      sync.Mutex
	members map[string]*member
}

// roomSubject is the subject the room's messages travel on.
const roomSubject = "wharf.chat.room"

// eventsTopic is the topic of the room's event streams. Each process
// publishes what arrives on the bus to its own broker (a MemoryLog), as
// its members' streams, like their polls, come to it.
const eventsTopic = "room"

// newRoom returns a room on an in-process bus: one process, one room.
func newRoom() *room {
	rm, err := newRoomOn(cluster.NewLocal(), slog.Default())
	if err != nil {
		panic(err) // an in-process bus does not fail to subscribe
	}
	return rm
}

// newRoomOn returns a room whose messages travel on bus.
func newRoomOn(bus cluster.Bus, log *slog.Logger) (*room, error) {
	events, err := sse.NewBroker(sse.Config{})
	if err != nil {
		return nil, err
	}
	rm := &room{bus: bus, log: log, events: events, members: make(map[string]*member)}
	if _, err := bus.Subscribe(roomSubject, rm.arrived); err != nil {
		events.Close()
		return nil, err
	}
	return rm, nil
}

// arrived is the bus's callback: a message said on this process or
// another. It runs on the publisher's goroutine or the bus's.
func (rm *room) arrived(_ string, data []byte) {
	var ev event
	if err := json.Unmarshal(data, &ev); err != nil {
		rm.log.Warn("chat: a message that is not an event", "err", err)
		return
	}
	rm.deliver(ev)
	// data is the event's JSON as a poll answers it, re-encoded so that
	// what another process sent is checked, not passed on.
	if b, err := json.Marshal(ev); err == nil {
		if err := rm.events.Publish(eventsTopic, sse.Event{Data: string(b)}); err != nil && !errors.Is(err, sse.ErrClosed) {
			rm.log.Warn("chat: a message not sent to the event streams", "err", err)
		}
	}
}

// join adds name; an existing member is left as it is.
func (rm *room) join(name string) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.members[name] == nil {
		rm.members[name] = &member{}
	}
}

// leave removes name, resuming its waiting poll. It reports whether name
// was a member.
func (rm *room) leave(name string) bool {
	rm.mu.Lock()
	m := rm.members[name]
	var w *waiter
	if m != nil {
		w, m.waiter = m.waiter, nil
		delete(rm.members, name)
	}
	rm.mu.Unlock()
	if w != nil {
		_ = w.c.Resume(api.Attr{Key: supersededKey{}, Value: true})
	}
	return m != nil
}

// errUnknownMember: say's speaker has not joined this process.
var errUnknownMember = errors.New("unknown member")

// say sends a message from name to every member of the room, on every
// process. It returns errUnknownMember if name has not joined here, or the
// bus's error if the message reached only this process's members.
func (rm *room) say(ctx context.Context, name, text string) error {
	rm.mu.Lock()
	joined := rm.members[name] != nil
	rm.mu.Unlock()
	if !joined {
		return errUnknownMember
	}
	data, err := json.Marshal(event{From: name, Text: text})
	if err != nil {
		return err
	}
	return rm.bus.Publish(ctx, roomSubject, data)
}

// deliver queues ev for every member of this process (the speaker
// included) and resumes every waiting poll.
func (rm *room) deliver(ev event) {
	rm.mu.Lock()
	var wake []continuation.Continuation
	for _, m := range rm.members {
		if m.streams > 0 {
			continue // its stream has it
		}
		if len(m.queue) == maxQueue {
			m.queue = append(m.queue[:0], m.queue[1:]...)
		}
		m.queue = append(m.queue, ev)
		if m.waiter != nil {
			wake = append(wake, m.waiter.c)
			m.waiter = nil
		}
	}
	rm.mu.Unlock()
	for _, c := range wake {
		// ErrNotSuspended: the timeout won; the expired dispatch answers the
		// queue. ErrCompleted: the client went away; the events wait for the
		// next poll.
		_ = c.Resume()
	}
}

// streaming reports whether name is a member here and, if so, counts a
// stream of it open (on) or closed (!on).
func (rm *room) streaming(name string, on bool) bool {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	m := rm.members[name]
	if m == nil {
		return false
	}
	if on {
		m.streams++
	} else if m.streams > 0 {
		m.streams--
	}
	return true
}

// pollResult is what the initial dispatch of a poll found.
type pollResult int

const (
	pollUnknown   pollResult = iota // no such member
	pollAnswer                      // answer the returned events now
	pollSuspended                   // suspended; a later dispatch answers
)

// poll is the initial dispatch of a poll. If events are queued, or wait is
// false, it takes them. Otherwise it suspends c and registers it as the
// member's waiter, under the room's lock and only while the queue is still
// empty: a say either came before (and the events are answered at once) or
// comes after and finds the waiter. A previous waiter of the same member is
// resumed as superseded.
func (rm *room) poll(name string, ex api.Exchange, c continuation.Continuation, wait bool) (pollResult, []event, error) {
	rm.mu.Lock()
	m := rm.members[name]
	if m == nil {
		rm.mu.Unlock()
		return pollUnknown, nil, nil
	}
	if len(m.queue) > 0 || !wait {
		evs := m.take()
		rm.mu.Unlock()
		return pollAnswer, evs, nil
	}
	// Suspend before the continuation is visible to say: a Resume of a
	// continuation that is not yet suspended would be lost.
	if err := c.Suspend(); err != nil {
		rm.mu.Unlock()
		return pollAnswer, nil, err
	}
	old := m.waiter
	m.waiter = &waiter{ex: ex, c: c}
	rm.mu.Unlock()
	if old != nil {
		_ = old.c.Resume(api.Attr{Key: supersededKey{}, Value: true})
	}
	return pollSuspended, nil, nil
}

// redispatched is a resumed or expired dispatch of a poll: it unregisters
// the poll if it is still the member's waiter (it expired) and, unless it
// was superseded, takes the queued events. A poll resumed by say whose
// events another poll already took answers [].
func (rm *room) redispatched(name string, ex api.Exchange, superseded bool) []event {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	m := rm.members[name]
	if m == nil {
		return []event{}
	}
	if m.waiter != nil && m.waiter.ex == ex {
		m.waiter = nil
	}
	if superseded {
		return []event{}
	}
	return m.take()
}

// forget unregisters the poll of ex if it is still name's waiter: its
// request completed, whether or not a re-dispatch answered it.
func (rm *room) forget(name string, ex api.Exchange) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if m := rm.members[name]; m != nil && m.waiter != nil && m.waiter.ex == ex {
		m.waiter = nil
	}
}

// take returns the queued events, never nil, and empties the queue.
func (m *member) take() []event {
	evs := m.queue
	m.queue = nil
	if evs == nil {
		evs = []event{}
	}
	return evs
}
