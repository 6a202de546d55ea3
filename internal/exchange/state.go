package exchange

import "github.com/wharf-go/wharf/api"

// state is the lifecycle state of an exchange.
type state uint8

const (
	// stateIdle: built, the initial dispatch has not started.
	stateIdle state = iota
	// stateRunning: one goroutine owns the exchange and runs its queue (a
	// task may be running or about to run).
	stateRunning
	// stateWaiting: suspended; no task runs, no goroutine is held. An event
	// (resume, timeout, a submitted task, complete) moves it on.
	stateWaiting
	// stateCompleting: the outcome is decided; the final response is being
	// written. No task will run again.
	stateCompleting
	// stateCompleted: done; only OnComplete listeners ran after this.
	stateCompleted
)

var stateNames = [...]string{"Idle", "Running", "Waiting", "Completing", "Completed"}

func (s state) String() string { return stateNames[s] }

// event is an input to the state machine.
type event uint8

const (
	evStart          event = iota // the connector starts the initial dispatch
	evSuspend                     // a running dispatch suspends (StartAsync, Suspend)
	evResume                      // any goroutine resumes (re-dispatch)
	evTimeout                     // the timer fired, or shutdown expires the request
	evComplete                    // any goroutine completes
	evSubmit                      // any goroutine submits a task
	evTaskDone                    // the running task returned
	evFinished                    // the final response has been written
	evDequeue                     // the loop takes the next queued task
	evExpiredDefault              // the timeout listeners ran and none completed: the mode's default
	evFailed                      // an IO failure decided the outcome (OnError listeners ran)
	evAwait                       // a running dispatch blocks in place (Await)
	evWake                        // a blocked Await is woken (Resume, timeout, Complete, Fail)
	evAwaitCancelled              // a blocked Await's context ended first
	evAwaitReturned               // Await returned and consumed the cycle's outcome
	evExpiring                    // the timeout task begins its OnTimeout listeners
	evSetTimeout                  // any goroutine sets the suspend timeout
)

var eventNames = [...]string{"Start", "Suspend", "Resume", "Timeout", "Complete", "Submit", "TaskDone", "Finished",
	"Dequeue", "ExpiredDefault", "Failed", "Await", "Wake", "AwaitCancelled", "AwaitReturned", "Expiring", "SetTimeout"}

func (e event) String() string { return eventNames[e] }

// action is what the caller of transition must do after releasing the lock.
type action uint8

const (
	actRun        action = 1 << iota // start a loop to run the queue (on the executor)
	actFinish                        // write the final response (on this goroutine if it runs the loop, else the executor)
	actArm                           // arm the timeout timer
	actDisarm                        // stop the timeout timer
	actWake                          // wake a goroutine blocked in Await
	actEnqueue                       // append the event's task to the queue
	actRedispatch                    // append a re-dispatch to the queue (resumed; from evTimeout, expired)
	actExpire                        // append the timeout task to the queue
)

// machine is the pure state of an exchange: no goroutines, no clocks, no
// queues, so every interleaving of events can be tested directly.
type machine struct {
	state      state
	inDispatch bool // the running task is a pass through the filter chain
	suspended  bool // async started in this cycle, outcome not yet decided
	resumed    bool // this cycle ended by Resume
	expired    bool // this cycle ended by timeout
	complete   bool // Complete requested or the exchange failed
	awaiting   bool // a dispatch is blocked in Await
	armed      bool // the timer is armed for this cycle
	// expiring: the cycle expired and its OnTimeout listeners are
	// running. A Resume then is accepted, once, as the Servlet API
	// accepts a dispatch from onTimeout: it re-dispatches the request in
	// place of the mode's default. Before the listeners run, a Resume
	// has lost the race to the timeout and is refused, as ever.
	expiring bool
	// failed: an IO failure's OnError listeners ran (evFailed). They run
	// once per request, as the Servlet API's onError does: a later
	// failure (the connector's ClientGone after a Fail) finds the
	// request ending already and tells nobody.
	failed bool
	// failing: an IO failure is queued or running (evSubmit of one). It
	// ends the request, whatever else is queued, so a Resume after it is
	// refused as after completion: accepted, its re-dispatch would be
	// dropped at the finish, and its caller told nil for nothing.
	failing bool
	// onShutdown is what a graceful shutdown does with the request while
	// it is suspended; set by the running task, read by the container.
	onShutdown OnShutdown
	queued     int32 // tasks in the queue
}

// transition applies ev and reports what the caller must do. taskIsDispatch
// is meaningful for evTaskDone and evDequeue (the task is a dispatch), for
// evExpiredDefault (the mode re-dispatches: ModeContinuation) and for
// evTimeout (the mode re-dispatches and no OnTimeout listener is to run
// first: the expired re-dispatch is queued without a timeout task); failed
// for evTaskDone (the task failed) and evSubmit (the task is an IO
// failure). It is the only place the machine's
// fields change: the exchange reads them under its lock and never writes
// them.
func (m *machine) transition(ev event, taskIsDispatch, failed bool) (action, error) {
	switch ev {
	case evStart:
		if m.state != stateIdle {
			return 0, api.ErrWrongState
		}
		if m.complete {
			// Completed before it started (a container closing): no
			// dispatch, just the finish.
			m.state = stateCompleting
			return actFinish, nil
		}
		m.state = stateRunning
		m.inDispatch = true
		// The initial dispatch, which Start queues ahead of what came
		// before it (an IO failure: Fail is taken while Idle).
		m.queued++
		return 0, nil

	case evSuspend, evAwait:
		if m.state != stateRunning || !m.inDispatch || m.complete {
			return 0, api.ErrWrongState
		}
		if m.suspended && (m.resumed || m.expired) {
			// This dispatch suspended and a Resume or the timeout has
			// decided its cycle already (the re-dispatch or the timeout
			// is queued): both refuse a decided cycle, so nothing would
			// wake a wait but the end of its context, and a Suspend
			// taken would promise a wait that the queued pass ends at
			// once (Jetty and the Servlet API refuse it too).
			return 0, api.ErrWrongState
		}
		if !m.suspended {
			m.suspended, m.resumed, m.expired, m.armed = true, false, false, false
		}
		if ev == evAwait {
			m.awaiting = true
			return actArm, nil
		}
		return 0, nil

	case evResume:
		if m.complete || m.failing || m.state >= stateCompleting {
			return 0, api.ErrCompleted
		}
		if m.expiring && !m.resumed {
			// From the timeout's listeners (or while they run): the
			// timer is spent, and the timeout task owns the exchange.
			m.resumed = true
			return m.enqueue(actRedispatch), nil
		}
		if !m.suspended || m.resumed || m.expired {
			return 0, api.ErrNotSuspended
		}
		m.resumed = true
		act := actDisarm
		if m.awaiting {
			return act | actWake, nil
		}
		return act | m.enqueue(actRedispatch), nil

	case evTimeout:
		if !m.undecided() || m.state >= stateCompleting {
			// Lost the race: nothing to do. A failure queued has decided
			// the outcome too, and the timeout would be dropped behind it.
			return 0, api.ErrNotSuspended
		}
		m.expired = true
		if m.awaiting {
			return actWake, nil
		}
		if taskIsDispatch {
			// Continuation mode with no OnTimeout listener: the timeout
			// task would run none and queue the mode's default, the
			// expired re-dispatch, which is queued in its place.
			return m.enqueue(actRedispatch), nil
		}
		return m.enqueue(actExpire), nil

	case evComplete:
		if m.state >= stateCompleting {
			return 0, api.ErrCompleted
		}
		if m.complete {
			// Complete was called (or the failure taken) already, maybe by
			// the task still running, whose return ends the response: a
			// second call is refused all the same, wherever it is made,
			// as Jetty's AsyncContext.complete() twice is. The first
			// call's outcome stands.
			return 0, api.ErrCompleted
		}
		m.complete = true
		act := actDisarm
		switch {
		case m.awaiting:
			act |= actWake
		case m.state == stateWaiting:
			m.state = stateCompleting
			act |= actFinish
		}
		// An idle exchange is only marked: Start, which has the request,
		// finishes it.
		return act, nil

	case evSubmit:
		if m.complete || m.state >= stateCompleting {
			return 0, api.ErrCompleted
		}
		if failed {
			m.failing = true
		}
		return m.enqueue(actEnqueue), nil

	case evTaskDone:
		if m.state != stateRunning {
			return 0, api.ErrWrongState
		}
		if taskIsDispatch {
			m.inDispatch = false
			if !m.suspended {
				m.complete = true // an ordinary dispatch that did not suspend
			}
		}
		if failed {
			m.complete = true
		}
		if m.complete {
			m.state = stateCompleting
			return actFinish | actDisarm, nil
		}
		var act action
		if taskIsDispatch && !m.armed && !m.resumed && !m.expired {
			// The dispatch that suspended returned: the timeout counts
			// from here, as in Jetty, and not from the end of the tasks
			// it queued, which may run long (or queue more).
			m.armed = true
			act = actArm
		}
		if m.queued > 0 {
			return act, nil // the loop goes on
		}
		// Not complete and nothing queued: the cycle must be suspended.
		m.state = stateWaiting
		if !m.armed && !m.resumed && !m.expired {
			m.armed = true
			act = actArm
		}
		return act, nil

	case evFinished:
		if m.state != stateCompleting {
			return 0, api.ErrWrongState
		}
		m.state = stateCompleted
		m.queued = 0
		return 0, nil

	case evDequeue:
		if m.state != stateRunning || m.queued == 0 {
			return 0, api.ErrWrongState
		}
		if m.complete {
			// Completed from outside a task while no task ran (the loop
			// on its way, or between two tasks): Complete finishes the
			// response as it stands, so nothing queued runs, as after a
			// task that completed.
			m.state = stateCompleting
			return actFinish | actDisarm, nil
		}
		m.queued--
		if taskIsDispatch { // a re-dispatch starts a new cycle
			m.inDispatch = true
			m.suspended, m.resumed, m.expired, m.armed, m.expiring = false, false, false, false, false
		}
		return 0, nil

	case evExpiring:
		if m.state != stateRunning || !m.expired || m.expiring {
			return 0, api.ErrWrongState
		}
		m.expiring = true
		return 0, nil

	case evExpiredDefault:
		if m.state != stateRunning || !m.expired {
			return 0, api.ErrWrongState
		}
		m.expiring = false
		if m.complete || m.resumed {
			return 0, nil // a timeout listener completed it, or re-dispatched it (queued)
		}
		if taskIsDispatch {
			return m.enqueue(actRedispatch), nil
		}
		m.complete = true // ModeAsync: the request ends with ErrAsyncTimeout
		return 0, nil

	case evSetTimeout:
		// The new timeout is kept for the cycles to come (the caller
		// stores it) and, if this cycle's wait runs (the suspending
		// dispatch returned, or an Await blocks) with no outcome yet,
		// restarts it: the running timer is replaced by one of the new
		// length, counted from now. Before the suspending dispatch
		// returns there is nothing to restart (its return arms the
		// timer with the new value), and a decided cycle has no wait
		// left to lengthen.
		if !m.undecided() || !m.armed && !m.awaiting {
			return 0, nil
		}
		return actDisarm | actArm, nil

	case evFailed:
		if m.state != stateRunning && m.state != stateCompleting {
			return 0, api.ErrWrongState
		}
		m.complete, m.failed = true, true
		return 0, nil

	case evWake, evAwaitCancelled:
		if !m.awaiting {
			return 0, api.ErrWrongState // nothing blocks, or it was woken already
		}
		// The cycle is over and the dispatch goes on in place.
		m.awaiting, m.suspended = false, false
		return actDisarm, nil

	case evAwaitReturned:
		if m.awaiting {
			return 0, api.ErrWrongState
		}
		// The outcome was handed to the dispatch: the next Await starts a
		// fresh cycle.
		m.resumed, m.expired = false, false
		return 0, nil
	}
	return 0, api.ErrWrongState
}

// undecided reports whether the exchange is suspended and its cycle
// waits for an outcome: no Resume, timeout, Complete or queued IO failure
// has decided it.
func (m *machine) undecided() bool {
	return m.suspended && !m.resumed && !m.expired && !m.complete && !m.failing
}

// enqueue records one more queued task and, if nothing owns the exchange,
// asks for a loop. Only transition calls it.
func (m *machine) enqueue(a action) action {
	m.queued++
	if m.state == stateWaiting {
		m.state = stateRunning
		return a | actRun
	}
	return a
}
