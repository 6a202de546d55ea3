package exchange

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

// disarmLocked stops the timer; a firing already on its way sees a stale
// generation and does nothing. ex.mu must be held. An odd generation says
// the timer is armed: most requests never arm it, and their completion
// then costs no look for the wheel (a cold walk to the selector's, on a
// request that waited) and no wheel lock.
func (ex *Exchange) disarmLocked() {
	if ex.timerGen&1 == 0 {
		return // not armed, or spent: it fired
	}
	ex.timerGen++
	ex.wheel().Stop(&ex.timer)
}

// armLocked starts the timer for the cycle that just suspended. ex.mu must
// be held, so that a resume racing with the suspension cannot see a timer
// armed for an older cycle.
func (ex *Exchange) armLocked(d time.Duration) {
	if d <= 0 {
		return
	}
	ex.timerGen = (ex.timerGen + 1) | 1 // odd: armed
	ex.wheel().Schedule(&ex.timer, d, uint32(ex.timerGen))
}

// wheel returns the timer wheel the suspend timeout goes in: the
// Channel's, else the Config's.
func (ex *Exchange) wheel() *timerwheel.Wheel {
	if t, ok := ex.ch.(Timers); ok {
		if w := t.TimerWheel(); w != nil {
			return w
		}
	}
	return ex.cfg.wheel()
}

// timeoutFirer is the Exchange as its suspend timeout's timerwheel.Firer.
type timeoutFirer Exchange

// Fire implements timerwheel.Firer: the suspend timeout of generation gen
// expired.
func (f *timeoutFirer) Fire(gen uint32) { (*Exchange)(f).expire(gen, true, EndExpired) }

// expire feeds evTimeout; from the timer only if gen is still current. end
// is what the Result reports if this expiry decides the outcome.
func (ex *Exchange) expire(gen uint32, fromTimer bool, end End) error {
	return ex.expireIf(gen, fromTimer, end, nil)
}

// expireIf is expire when cond, checked under the lock, holds (nil: always).
func (ex *Exchange) expireIf(gen uint32, fromTimer bool, end End, cond func() bool) error {
	ex.mu.Lock()
	if fromTimer && gen != uint32(ex.timerGen) || cond != nil && !cond() {
		ex.mu.Unlock()
		return api.ErrNotSuspended
	}
	if fromTimer {
		ex.timerGen++ // even: the timer is spent, nothing to disarm
	}
	// A continuation's timeout with no OnTimeout listener to hear of it
	// (most: one that only waits has none) is its expired re-dispatch
	// alone, queued here rather than by a timeout task of its own; the
	// dispatch does what that task would have done first (timedOut), or
	// becomes that task if the work running meanwhile adds an OnTimeout.
	direct := ex.mode == ModeContinuation && !ex.onTimeoutLocked()
	act, err := ex.m.transition(evTimeout, direct, false)
	if err == nil {
		if !fromTimer {
			// Expired by the container (Expire, a shutdown): the timer
			// still filed must not expire the cycle that may follow.
			ex.disarmLocked()
		}
		ex.expireCause = end
		if act&actExpire != 0 {
			ex.queue.push(queued{kind: kindTimeout})
		}
		if act&actRedispatch != 0 {
			ex.queue.push(queued{kind: kindDispatch, expired: true, timedOut: true})
		}
		if act&actWake != 0 {
			ex.wakeLocked(nil)
		}
	}
	ex.mu.Unlock()
	if r, ok := ex.ch.(InlineRunner); ok && fromTimer && act&actRun != 0 {
		ex.act(act &^ actRun)
		if !r.RunInline((*inlineRun)(ex)) {
			ex.execute(ex.run)
		}
		return err
	}
	ex.act(act)
	return err
}

// onTimeoutLocked reports whether a listener has an OnTimeout. ex.mu is
// held.
func (ex *Exchange) onTimeoutLocked() bool {
	return slices.ContainsFunc(ex.listenersLocked(), hasOnTimeout)
}

func hasOnTimeout(l Listener) bool { return l.OnTimeout != nil }

// InlineRunner is an optional interface of a Channel that may run the
// work of a suspend timeout on the goroutine the timeout fired on (a
// selector's producer, for a request that declared it never blocks: PC
// mode, with no hand-over). RunInline calls w.Run there and reports true,
// or reports false and leaves the work to Config.Execute. The work is an
// interface rather than a func so that the Exchange passes itself, with
// no closure to allocate for every expiry.
type InlineRunner interface {
	RunInline(w interface{ Run() }) bool
}

// inlineRun is the Exchange as the work an InlineRunner runs: its loop.
type inlineRun Exchange

func (r *inlineRun) Run() { (*Exchange)(r).loopOn(false, true) }

// Outcome is how a blocking Await ended.
type Outcome uint8

const (
	Resumed   Outcome = iota + 1 // Resume was called
	Expired                      // the timeout fired (or the container expired it)
	Completed                    // Complete was called, or the client went away
	Cancelled                    // ctx was done
)

func (o Outcome) String() string {
	switch o {
	case Resumed:
		return "resumed"
	case Expired:
		return "expired"
	case Completed:
		return "completed"
	case Cancelled:
		return "cancelled"
	}
	return "unknown"
}

// Await is the blocking form of Suspend: it suspends the running dispatch and
// blocks the calling goroutine, in place, until Resume, the timeout,
// Complete or ctx ends the wait. It returns the attributes given to Resume.
// It holds a goroutine while it waits; prefer Suspend where the handler can
// return. It must be called from the running dispatch. It returns
// api.ErrWrongState if the dispatch suspended and a Resume or the timeout
// has decided that suspension already: nothing would wake the wait. After
// a Complete or a failure it returns Completed at once. On a goroutine
// that must not park (see dispatcher.NoParker) it returns errAwaitNoPark
// and does not suspend.
func (ex *Exchange) Await(ctx context.Context) (Outcome, []api.Attr, error) {
	if !ex.inTask() {
		return 0, nil, api.ErrNotSerialized
	}
	ex.mu.Lock()
	if ex.mustNotParkLocked() {
		ex.mu.Unlock()
		return 0, nil, errAwaitNoPark
	}
	if ex.m.inDispatch && ex.endedLocked() {
		// Completed, or failed (an HTTP/2 stream reset fails a running
		// request), while the dispatch ran: as an Await that this had
		// woken, and not a wait for a wake-up that came already.
		ex.mu.Unlock()
		return Completed, nil, api.ErrCompleted
	}
	act, err := ex.m.transition(evAwait, false, false)
	if err != nil {
		ex.mu.Unlock()
		return 0, nil, err
	}
	aw := &await{wake: make(chan struct{})}
	ex.extrasLocked().await = aw
	wake := aw.wake
	if act&actArm != 0 {
		ex.armLocked(ex.timeout)
	}
	ex.mu.Unlock()

	select {
	case <-wake:
	case <-ctx.Done():
		ex.mu.Lock()
		// Only if nothing else ended the wait first.
		if act, err := ex.m.transition(evAwaitCancelled, false, false); err == nil {
			if act&actDisarm != 0 {
				ex.disarmLocked()
			}
			ex.more.await = nil
			ex.mu.Unlock()
			return Cancelled, nil, ctx.Err()
		}
		ex.mu.Unlock()
		<-wake
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	ex.more.await = nil
	resumed, expired := ex.m.resumed, ex.m.expired
	if _, err := ex.m.transition(evAwaitReturned, false, false); err != nil {
		panic("async: " + err.Error())
	}
	switch {
	case resumed:
		return Resumed, aw.attrs, nil
	case expired:
		ex.cause = max(ex.cause, ex.expireCause)
		return Expired, nil, nil
	}
	return Completed, nil, api.ErrCompleted
}

// errAwaitNoPark is Await's refusal to block a goroutine that must not
// park: a NonBlocking handler run by the epoll connector's selector (or a
// timeout's re-dispatch it runs inline). Blocked there, the wait would
// stop the selector and so the timer and the requests that were to end it,
// for as long as the connection lives. It is api.ErrWouldBlock.
var errAwaitNoPark = fmt.Errorf("continuation: Await in a task that must not park (a NonBlocking handler): %w", api.ErrWouldBlock)

// mustNotParkLocked reports whether the running task's goroutine is under
// the no-park rule: now, or before a Suspend of this dispatch lifted it
// (yielded), which leaves the goroutine the producer still. ex.mu is held.
func (ex *Exchange) mustNotParkLocked() bool {
	if ex.yielded {
		return true
	}
	np, ok := ex.ch.(dispatcher.NoParker)
	return ok && np.NoPark()
}

// await is what a blocking Await waits on.
type await struct {
	wake  chan struct{}
	attrs []api.Attr // given to the Resume that woke it
}

// wakeLocked ends a blocking Await. ex.mu must be held.
func (ex *Exchange) wakeLocked(attrs []api.Attr) {
	act, err := ex.m.transition(evWake, false, false)
	if err != nil {
		return // nothing blocks in Await
	}
	aw := ex.more.await
	aw.attrs = attrs
	if act&actDisarm != 0 {
		ex.disarmLocked()
	}
	close(aw.wake)
}
