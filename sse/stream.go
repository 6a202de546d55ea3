package sse

import (
	"net/http"
	"sync"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
)

// stream is one open event stream: a request in async mode, its Output
// and a bounded queue; the Broker's heartbeat tick visits it. It holds no
// goroutine: publishers
// queue frames (offer) and dispatch a pump task when it is not already
// coming; the pump writes while the Output is ready, and the Output's
// OnWritePossible runs it again when the connection drains.
//
// offer, stop and beat run on any goroutine; pump,
// OnWritePossible, OnError and onShutdown are the request's serialized
// tasks; onComplete runs once when the request completed.
type stream struct {
	b     *Broker
	topic string
	a     *async.Context
	out   *async.Output // set before the stream is live, read by tasks only

	// What is written, in this order: the opening (see opening), then
	// queue, the live frames not yet written (at most MaxQueue).
	mu        sync.Mutex
	st        state
	open      *opening // nil once written: a stream waits for hours, opens once
	queue     []*frame
	through   uint64 // the highest event ID the stream has: a delivery up to it is a duplicate
	scheduled bool   // a pump is queued, or OnWritePossible will run one
	wrote     bool   // something other than a heartbeat was written since the Broker's last heartbeat tick
	sent      bool   // a pump saw the response committed: its head is sent, so an end must abort it

	// pumpTask is pump, made once: dispatching the method value would
	// make it again for every event the stream is sent.
	pumpTask func(api.Response)
}

// opening is what a stream writes first: head (the opening comment, a
// missed event), then replay, encoded one event at a time as it goes, so
// that it shares the log's strings rather than hold a copy.
type opening struct {
	head   []*frame
	replay []Event
}

// next takes the opening's next frame: nil once it is all taken, and an
// error for a logged event a stream cannot carry (the log's fault: skip
// it).
func (o *opening) next() (*frame, error) {
	if len(o.head) > 0 {
		f := o.head[0]
		o.head[0] = nil
		o.head = o.head[1:]
		return f, nil
	}
	if len(o.replay) > 0 {
		ev := o.replay[0]
		o.replay[0] = Event{}
		o.replay = o.replay[1:]
		return encode(ev)
	}
	return nil, nil
}

// fire feeds ev to the machine. s.mu must be held; the caller does the
// action (do) once it released it.
func (s *stream) fire(ev event) action {
	st, act := transition(s.st, ev)
	s.st = st
	if act&(actFail|actComplete|actRelease) != 0 {
		s.open, s.queue = nil, nil // nothing more will be written
	}
	if act&actWrite != 0 {
		act = act&^actWrite | s.scheduleLocked()
	}
	return act
}

// do carries out what fire asked for, with no lock held: the request's
// calls may run its listeners.
func (s *stream) do(act action) {
	if act&actWrite != 0 {
		// The pump never blocks (it writes through the Output), so an
		// idle stream's runs here, on the publisher's goroutine: a
		// hand-over to another goroutine per stream and event would cost
		// more than the write itself.
		if err := s.a.DispatchNonBlocking(s.pumpTask); err != nil {
			s.mu.Lock()
			s.scheduled = false
			s.mu.Unlock()
		}
	}
	if act&actSlow != 0 {
		s.b.slow.Add(1)
	}
	if act&actFail != 0 {
		// A status of the handler's choosing (logged at Warn, not as a
		// failure); the head is sent, so the connection is aborted.
		_ = s.a.Fail(&api.StatusError{Code: http.StatusServiceUnavailable, Err: ErrSlowConsumer})
	}
	if act&actComplete != 0 {
		_ = s.a.Complete()
	}
	if act&actRelease != 0 {
		s.b.unsubscribe(s)
	}
}

// scheduleLocked reports actWrite if a pump must be dispatched now (and
// marks it coming). s.mu must be held.
func (s *stream) scheduleLocked() action {
	if s.st != stLive || s.scheduled {
		return 0
	}
	s.scheduled = true
	return actWrite
}

// offer queues a delivered frame, or ends the stream when its queue is
// full. Frames arrive in ID order; one the stream already has (the seam
// of the replay, or a log that delivers twice) is dropped.
func (s *stream) offer(f *frame) {
	s.mu.Lock()
	var act action
	switch {
	case s.st > stLive:
	case s.st == stLive && f.seq <= s.through:
	case len(s.queue) >= s.b.cfg.MaxQueue:
		// Until the head is sent (the write task has not run yet, on a
		// busy topic or after a handler that publishes after Serve, or
		// the Output's flush has not), a failure would be answered with
		// a 503.
		if s.sent {
			act = s.fire(evOverflow)
		} else {
			act = s.fire(evOverflowUnsent)
		}
	default:
		s.queue = append(s.queue, f)
		if s.st == stLive {
			s.through = f.seq
			act = s.scheduleLocked()
		}
	}
	s.mu.Unlock()
	s.do(act)
}

// seam makes the stream live: head and the replay (what the client
// missed, up to through) go first, and the live frames held meanwhile
// follow, less those the replay already has.
func (s *stream) seam(head []*frame, replay []Event, through uint64) {
	s.mu.Lock()
	if len(head)+len(replay) > 0 {
		s.open = &opening{head: head, replay: replay}
	}
	s.through = through
	kept := s.queue[:0]
	for _, f := range s.queue {
		if f.seq > s.through {
			kept = append(kept, f)
			s.through = f.seq
		}
	}
	clear(s.queue[len(kept):])
	s.queue = kept
	act := s.fire(evReplayed)
	s.mu.Unlock()
	s.do(act)
}

// pump is the task that writes: frames while the Output takes them. When
// it does not, the Output calls OnWritePossible once it drained, which
// pumps again; until then scheduled stays set, so no other pump comes.
func (s *stream) pump(w api.Response) {
	for {
		if !s.out.IsReady() {
			return
		}
		// The Output's first write commits the response: at once where
		// the connection writes without blocking, in its flush task
		// elsewhere, which a later pump hears of.
		committed := w.Committed()
		s.mu.Lock()
		if committed {
			s.sent = true
		}
		var f *frame
		if s.st == stLive && s.open != nil {
			var err error
			if f, err = s.open.next(); err != nil {
				s.mu.Unlock()
				continue // not an event a stream can carry: the log's fault
			}
			if f == nil {
				s.open = nil
			}
		}
		if f == nil && s.st == stLive && len(s.queue) > 0 {
			f = s.queue[0]
			s.queue[0] = nil
			if len(s.queue) == 1 {
				s.queue = s.queue[:0] // from its start: a one-slot array is kept
			} else {
				s.queue = s.queue[1:]
			}
		}
		if f == nil {
			// Idle: give the queue's array back, so that a stream
			// waiting for its next event holds none, but for one slot
			// (8 bytes): a stream sent one event at a time reuses it
			// rather than making it again for every event.
			s.open = nil
			if cap(s.queue) > 1 {
				s.queue = nil
			}
			s.scheduled = false
			s.mu.Unlock()
			return
		}
		if f != heartbeat {
			// The heartbeat's own write is not traffic: counted, it
			// would make the next tick skip the stream, and a silent
			// stream would speak every other period.
			s.wrote = true
		}
		s.mu.Unlock()
		// Counted before the write, which may reach the client before
		// it returns: a client that saw the event finds it in Stats.
		if f.seq != 0 {
			s.b.delivered.Add(1)
		}
		if _, err := s.out.Write(f.b); err != nil {
			if f.seq != 0 {
				s.b.delivered.Add(^uint64(0))
			}
			return // the Output reports it to OnError and completes
		}
	}
}

// OnWritePossible implements async.WriteListener.
func (s *stream) OnWritePossible(w api.Response) { s.pump(w) }

// OnError implements async.WriteListener: the write failed (the client
// left, or was too slow for the connection's data rate); the Output
// completes the request, and onComplete cleans up.
func (s *stream) OnError(api.Response, error) {}

// beat is called by the Broker's heartbeat tick: a stream silent for a
// whole period gets a comment.
func (s *stream) beat() {
	s.mu.Lock()
	if s.st != stLive {
		s.mu.Unlock()
		return
	}
	var act action
	if !s.wrote && len(s.queue) == 0 && s.open == nil {
		s.queue = append(s.queue, heartbeat)
		act = s.scheduleLocked()
	}
	s.wrote = false
	s.mu.Unlock()
	s.do(act)
}

// stop ends the stream for Broker.Close.
func (s *stream) stop() {
	s.mu.Lock()
	act := s.fire(evStop)
	s.mu.Unlock()
	s.do(act)
}

// onShutdown is the request's OnTimeout listener. The stream's timeout is
// infinite, so only a container's Shutdown expires it (SetOnShutdown
// ShutdownExpire): the response completes as it stands, and what was
// queued and not yet written is dropped: the client reconnects with the
// last ID it received and gets the rest from the log.
func (s *stream) onShutdown(w api.Response, _ *api.Request) {
	s.mu.Lock()
	s.fire(evStop)
	s.mu.Unlock()
	if !w.Committed() {
		// The timeout discarded the head's fields that describe the body;
		// a client must still see an event stream, which it will retry.
		setHead(w)
	}
	_ = s.a.Complete()
}

// onComplete is the request's OnComplete listener, however it ended.
func (s *stream) onComplete(*api.Request, error) {
	s.mu.Lock()
	act := s.fire(evCompleted)
	s.mu.Unlock()
	s.do(act)
}

// setHead sets the response's head for an event stream.
func setHead(w api.Response) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
}
