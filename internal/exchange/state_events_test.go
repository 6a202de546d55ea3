package exchange

import (
	"testing"

	"github.com/wharf-go/wharf/api"
)

// TestTransitionQueueAndAwait drives the edges that used to be written
// outside transition: the loop's dequeue, the timeout's default, a
// failure, and the blocking Await's block, wake, cancel and return. The
// want machine is the whole machine after the event.
func TestTransitionQueueAndAwait(t *testing.T) {
	expiredRunning := machine{state: stateRunning, suspended: true, expired: true}
	awaiting := machine{state: stateRunning, inDispatch: true, suspended: true, awaiting: true}
	tests := []struct {
		name     string
		from     machine
		ev       event
		dispatch bool
		want     machine
		act      action
		err      error
	}{
		{"start queues the initial dispatch", machine{}, evStart, false, machine{state: stateRunning, inDispatch: true, queued: 1}, 0, nil},
		{"dequeue a task", machine{state: stateRunning, suspended: true, queued: 2}, evDequeue, false, machine{state: stateRunning, suspended: true, queued: 1}, 0, nil},
		{"dequeue a re-dispatch starts a cycle", machine{state: stateRunning, suspended: true, resumed: true, armed: true, queued: 1}, evDequeue, true, machine{state: stateRunning, inDispatch: true}, 0, nil},
		{"dequeue from an empty queue", machine{state: stateRunning}, evDequeue, false, machine{state: stateRunning}, 0, api.ErrWrongState},
		// Completed from outside while the loop was on its way: nothing
		// queued runs.
		{"dequeue after a Complete from outside", machine{state: stateRunning, suspended: true, complete: true, queued: 1}, evDequeue, false,
			machine{state: stateCompleting, suspended: true, complete: true, queued: 1}, actFinish | actDisarm, nil},
		{"dequeue while waiting", machine{state: stateWaiting, queued: 1}, evDequeue, false, machine{state: stateWaiting, queued: 1}, 0, api.ErrWrongState},
		{"expired default re-dispatches", expiredRunning, evExpiredDefault, true, machine{state: stateRunning, suspended: true, expired: true, queued: 1}, actRedispatch, nil},
		// A Resume from the timeout's listeners (the Servlet API's
		// dispatch from onTimeout), and only from them.
		{"the listeners begin", expiredRunning, evExpiring, false, machine{state: stateRunning, suspended: true, expired: true, expiring: true}, 0, nil},
		{"the listeners begin twice", machine{state: stateRunning, suspended: true, expired: true, expiring: true}, evExpiring, false, machine{state: stateRunning, suspended: true, expired: true, expiring: true}, 0, api.ErrWrongState},
		{"listeners without expiry", machine{state: stateRunning, suspended: true}, evExpiring, false, machine{state: stateRunning, suspended: true}, 0, api.ErrWrongState},
		{"listeners of a waiting exchange", machine{state: stateWaiting, suspended: true, expired: true}, evExpiring, false, machine{state: stateWaiting, suspended: true, expired: true}, 0, api.ErrWrongState},
		{"a listener resumes", machine{state: stateRunning, suspended: true, expired: true, expiring: true}, evResume, false,
			machine{state: stateRunning, suspended: true, expired: true, expiring: true, resumed: true, queued: 1}, actRedispatch, nil},
		{"a listener resumes twice", machine{state: stateRunning, suspended: true, expired: true, expiring: true, resumed: true, queued: 1}, evResume, false,
			machine{state: stateRunning, suspended: true, expired: true, expiring: true, resumed: true, queued: 1}, 0, api.ErrNotSuspended},
		{"a resume after the timeout, before its listeners", expiredRunning, evResume, false, expiredRunning, 0, api.ErrNotSuspended},
		{"a listener completed, then resumes", machine{state: stateRunning, suspended: true, expired: true, expiring: true, complete: true}, evResume, false,
			machine{state: stateRunning, suspended: true, expired: true, expiring: true, complete: true}, 0, api.ErrCompleted},
		{"expired default after a listener's resume", machine{state: stateRunning, suspended: true, expired: true, expiring: true, resumed: true, queued: 1}, evExpiredDefault, true,
			machine{state: stateRunning, suspended: true, expired: true, resumed: true, queued: 1}, 0, nil},
		{"expired default after a listener's resume (ModeAsync)", machine{state: stateRunning, suspended: true, expired: true, expiring: true, resumed: true, queued: 1}, evExpiredDefault, false,
			machine{state: stateRunning, suspended: true, expired: true, resumed: true, queued: 1}, 0, nil},
		{"the listener's re-dispatch starts a cycle", machine{state: stateRunning, suspended: true, expired: true, resumed: true, queued: 1}, evDequeue, true,
			machine{state: stateRunning, inDispatch: true}, 0, nil},
		{"expired default completes", expiredRunning, evExpiredDefault, false, machine{state: stateRunning, suspended: true, expired: true, complete: true}, 0, nil},
		{"a listener completed it", machine{state: stateRunning, suspended: true, expired: true, complete: true}, evExpiredDefault, true, machine{state: stateRunning, suspended: true, expired: true, complete: true}, 0, nil},
		{"expired default without expiry", machine{state: stateRunning, suspended: true}, evExpiredDefault, true, machine{state: stateRunning, suspended: true}, 0, api.ErrWrongState},
		{"failure while running", machine{state: stateRunning, suspended: true}, evFailed, false, machine{state: stateRunning, suspended: true, complete: true, failed: true}, 0, nil},
		{"failure while completing", machine{state: stateCompleting, complete: true}, evFailed, false, machine{state: stateCompleting, complete: true, failed: true}, 0, nil},
		// An IO failure queued ends the request: a Resume behind it
		// would be dropped at the finish.
		{"resume with a failure queued", machine{state: stateWaiting, suspended: true, failing: true, queued: 1}, evResume, false,
			machine{state: stateWaiting, suspended: true, failing: true, queued: 1}, 0, api.ErrCompleted},
		{"failure while waiting", machine{state: stateWaiting, suspended: true}, evFailed, false, machine{state: stateWaiting, suspended: true}, 0, api.ErrWrongState},
		{"await in dispatch", machine{state: stateRunning, inDispatch: true}, evAwait, false, awaiting, actArm, nil},
		{"await outside dispatch", machine{state: stateRunning}, evAwait, false, machine{state: stateRunning}, 0, api.ErrWrongState},
		// A dispatch that suspended and whose cycle a Resume or the timeout
		// decided already cannot wait for that cycle's outcome: nothing is
		// left to wake it.
		{"await after a resume", machine{state: stateRunning, inDispatch: true, suspended: true, resumed: true, queued: 1}, evAwait, false,
			machine{state: stateRunning, inDispatch: true, suspended: true, resumed: true, queued: 1}, 0, api.ErrWrongState},
		{"await after an expiry", machine{state: stateRunning, inDispatch: true, suspended: true, expired: true, queued: 1}, evAwait, false,
			machine{state: stateRunning, inDispatch: true, suspended: true, expired: true, queued: 1}, 0, api.ErrWrongState},
		{"await after an undecided suspend", machine{state: stateRunning, inDispatch: true, suspended: true}, evAwait, false, awaiting, actArm, nil},
		{"wake", awaiting, evWake, false, machine{state: stateRunning, inDispatch: true}, actDisarm, nil},
		{"wake when nothing blocks", machine{state: stateRunning, inDispatch: true}, evWake, false, machine{state: stateRunning, inDispatch: true}, 0, api.ErrWrongState},
		{"await cancelled", awaiting, evAwaitCancelled, false, machine{state: stateRunning, inDispatch: true}, actDisarm, nil},
		{"cancel after a wake", machine{state: stateRunning, inDispatch: true, resumed: true}, evAwaitCancelled, false, machine{state: stateRunning, inDispatch: true, resumed: true}, 0, api.ErrWrongState},
		{"await returns the outcome", machine{state: stateRunning, inDispatch: true, resumed: true}, evAwaitReturned, false, machine{state: stateRunning, inDispatch: true}, 0, nil},
		{"await returns while blocked", awaiting, evAwaitReturned, false, awaiting, 0, api.ErrWrongState},
		// SetTimeout restarts the timer of a wait that runs undecided, and
		// only that: the caller keeps the value for the cycles to come.
		{"set timeout while waiting", machine{state: stateWaiting, suspended: true, armed: true}, evSetTimeout, false,
			machine{state: stateWaiting, suspended: true, armed: true}, actDisarm | actArm, nil},
		{"set timeout from a task in the wait", machine{state: stateRunning, suspended: true, armed: true, queued: 1}, evSetTimeout, false,
			machine{state: stateRunning, suspended: true, armed: true, queued: 1}, actDisarm | actArm, nil},
		{"set timeout while an await blocks", awaiting, evSetTimeout, false, awaiting, actDisarm | actArm, nil},
		{"set timeout in the suspending dispatch", machine{state: stateRunning, inDispatch: true, suspended: true}, evSetTimeout, false,
			machine{state: stateRunning, inDispatch: true, suspended: true}, 0, nil},
		{"set timeout not suspended", machine{state: stateRunning, inDispatch: true}, evSetTimeout, false, machine{state: stateRunning, inDispatch: true}, 0, nil},
		{"set timeout after a resume", machine{state: stateRunning, suspended: true, armed: true, resumed: true, queued: 1}, evSetTimeout, false,
			machine{state: stateRunning, suspended: true, armed: true, resumed: true, queued: 1}, 0, nil},
		{"set timeout after the timeout", machine{state: stateRunning, suspended: true, armed: true, expired: true, queued: 1}, evSetTimeout, false,
			machine{state: stateRunning, suspended: true, armed: true, expired: true, queued: 1}, 0, nil},
		{"set timeout after complete", machine{state: stateRunning, suspended: true, armed: true, complete: true}, evSetTimeout, false,
			machine{state: stateRunning, suspended: true, armed: true, complete: true}, 0, nil},
		{"set timeout with a failure queued", machine{state: stateWaiting, suspended: true, armed: true, failing: true, queued: 1}, evSetTimeout, false,
			machine{state: stateWaiting, suspended: true, armed: true, failing: true, queued: 1}, 0, nil},
		{"set timeout when completed", machine{state: stateCompleted, complete: true}, evSetTimeout, false, machine{state: stateCompleted, complete: true}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.from
			act, err := m.transition(tt.ev, tt.dispatch, false)
			if err != tt.err || act != tt.act || m != tt.want {
				t.Errorf("%v from %+v:\n got %+v, act %b, err %v\nwant %+v, act %b, err %v", tt.ev, tt.from, m, act, err, tt.want, tt.act, tt.err)
			}
		})
	}
}
