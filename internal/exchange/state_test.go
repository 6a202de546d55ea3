package exchange

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/api"
)

// TestTransition drives the pure state machine through each edge.
func TestTransition(t *testing.T) {
	running := machine{state: stateRunning, inDispatch: true}
	suspendedRunning := machine{state: stateRunning, inDispatch: true, suspended: true}
	waiting := machine{state: stateWaiting, suspended: true, armed: true}
	awaiting := machine{state: stateRunning, inDispatch: true, suspended: true, awaiting: true}
	completing := machine{state: stateCompleting, complete: true}
	completed := machine{state: stateCompleted, complete: true}
	resumedRunning := machine{state: stateRunning, inDispatch: true, suspended: true, resumed: true, queued: 1}

	tests := []struct {
		name     string
		from     machine
		ev       event
		dispatch bool
		failed   bool
		want     state
		act      action
		err      error
	}{
		{"start", machine{}, evStart, false, false, stateRunning, 0, nil},
		{"complete before start only marks", machine{}, evComplete, false, false, stateIdle, actDisarm, nil},
		{"start after complete finishes", machine{complete: true}, evStart, false, false, stateCompleting, actFinish, nil},
		{"start twice", running, evStart, false, false, stateRunning, 0, api.ErrWrongState},
		{"suspend in dispatch", running, evSuspend, false, false, stateRunning, 0, nil},
		{"suspend outside dispatch", machine{state: stateRunning}, evSuspend, false, false, stateRunning, 0, api.ErrWrongState},
		{"suspend when waiting", waiting, evSuspend, false, false, stateWaiting, 0, api.ErrWrongState},
		{"suspend again", suspendedRunning, evSuspend, false, false, stateRunning, 0, nil},
		{"suspend again after resume", resumedRunning, evSuspend, false, false, stateRunning, 0, api.ErrWrongState},
		{"suspend again after timeout", machine{state: stateRunning, inDispatch: true, suspended: true, expired: true, queued: 1}, evSuspend, false, false, stateRunning, 0, api.ErrWrongState},
		{"dispatch returns unsuspended", running, evTaskDone, true, false, stateCompleting, actFinish | actDisarm, nil},
		{"dispatch returns suspended", suspendedRunning, evTaskDone, true, false, stateWaiting, actArm, nil},
		{"dispatch returns suspended, a task queued", machine{state: stateRunning, inDispatch: true, suspended: true, queued: 1}, evTaskDone, true, false, stateRunning, actArm, nil},
		{"dispatch fails while suspended", suspendedRunning, evTaskDone, true, true, stateCompleting, actFinish | actDisarm, nil},
		{"resume while suspending dispatch runs", suspendedRunning, evResume, false, false, stateRunning, actDisarm | actRedispatch, nil},
		{"resume while waiting", waiting, evResume, false, false, stateRunning, actDisarm | actRedispatch | actRun, nil},
		{"resume not suspended", running, evResume, false, false, stateRunning, 0, api.ErrNotSuspended},
		{"resume twice", resumedRunning, evResume, false, false, stateRunning, 0, api.ErrNotSuspended},
		{"resume after complete", completed, evResume, false, false, stateCompleted, 0, api.ErrCompleted},
		{"resume while completing", completing, evResume, false, false, stateCompleting, 0, api.ErrCompleted},
		{"resume wakes await", awaiting, evResume, false, false, stateRunning, actDisarm | actWake, nil},
		{"timeout while waiting", waiting, evTimeout, false, false, stateRunning, actExpire | actRun, nil},
		{"timeout after resume", resumedRunning, evTimeout, false, false, stateRunning, 0, api.ErrNotSuspended},
		{"timeout after complete", completed, evTimeout, false, false, stateCompleted, 0, api.ErrNotSuspended},
		{"timeout with a failure queued", machine{state: stateRunning, suspended: true, armed: true, failing: true, queued: 1}, evTimeout, false, false, stateRunning, 0, api.ErrNotSuspended},
		{"timeout wakes await", awaiting, evTimeout, false, false, stateRunning, actWake, nil},
		// Continuation mode with no OnTimeout listener: the expired
		// re-dispatch is queued in place of the timeout task.
		{"timeout re-dispatches while waiting", waiting, evTimeout, true, false, stateRunning, actRedispatch | actRun, nil},
		{"timeout re-dispatches behind a running task", machine{state: stateRunning, suspended: true, armed: true, queued: 0}, evTimeout, true, false, stateRunning, actRedispatch, nil},
		{"timeout re-dispatch after resume", resumedRunning, evTimeout, true, false, stateRunning, 0, api.ErrNotSuspended},
		{"timeout re-dispatch wakes await", awaiting, evTimeout, true, false, stateRunning, actWake, nil},
		{"complete while waiting", waiting, evComplete, false, false, stateCompleting, actDisarm | actFinish, nil},
		{"complete while running", suspendedRunning, evComplete, false, false, stateRunning, actDisarm, nil},
		{"complete twice", completing, evComplete, false, false, stateCompleting, 0, api.ErrCompleted},
		// Refused while the task that completed still runs, too: the
		// response is finished only when it returns.
		{"complete twice while running", machine{state: stateRunning, inDispatch: true, suspended: true, complete: true}, evComplete, false, false, stateRunning, 0, api.ErrCompleted},
		{"complete twice in a dispatch that did not suspend", machine{state: stateRunning, inDispatch: true, complete: true}, evComplete, false, false, stateRunning, 0, api.ErrCompleted},
		{"complete twice before start", machine{complete: true}, evComplete, false, false, stateIdle, 0, api.ErrCompleted},
		{"complete after a failure was taken", machine{state: stateRunning, suspended: true, complete: true, failed: true}, evComplete, false, false, stateRunning, 0, api.ErrCompleted},
		{"complete after completed", completed, evComplete, false, false, stateCompleted, 0, api.ErrCompleted},
		{"complete wakes await", awaiting, evComplete, false, false, stateRunning, actDisarm | actWake, nil},
		{"submit while waiting", waiting, evSubmit, false, false, stateRunning, actEnqueue | actRun, nil},
		{"submit while running", running, evSubmit, false, false, stateRunning, actEnqueue, nil},
		{"submit after complete", completed, evSubmit, false, false, stateCompleted, 0, api.ErrCompleted},
		{"task done with more queued", machine{state: stateRunning, suspended: true, armed: true, queued: 2}, evTaskDone, false, false, stateRunning, 0, nil},
		{"task done, back to waiting", machine{state: stateRunning, suspended: true, armed: true}, evTaskDone, false, false, stateWaiting, 0, nil},
		{"task done after complete", machine{state: stateRunning, suspended: true, complete: true}, evTaskDone, false, false, stateCompleting, actFinish | actDisarm, nil},
		{"task done when not running", waiting, evTaskDone, false, false, stateWaiting, 0, api.ErrWrongState},
		{"finished", completing, evFinished, false, false, stateCompleted, 0, nil},
		{"finished twice", completed, evFinished, false, false, stateCompleted, 0, api.ErrWrongState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.from
			act, err := m.transition(tt.ev, tt.dispatch, tt.failed)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if m.state != tt.want {
				t.Errorf("state = %v, want %v", m.state, tt.want)
			}
			if act != tt.act {
				t.Errorf("action = %b, want %b", act, tt.act)
			}
		})
	}
}

// TestExactlyOneOutcome applies every ordering of the events that race on a
// suspended exchange (resume, timeout, two Completes and a SetTimeout) and
// checks that exactly one of resume, timeout and complete decides the
// cycle: the first to arrive. A resume or timeout that comes after the
// decision is refused; the first Complete is accepted even after a resume
// or a timeout (it finishes the response as it stands) but does not decide
// anything then: the cycle stays resumed or expired. The second Complete
// is refused, wherever it comes. SetTimeout is never refused, and
// restarts the timer only while the cycle waits undecided.
func TestExactlyOneOutcome(t *testing.T) {
	evs := []event{evResume, evTimeout, evComplete, evComplete, evSetTimeout}
	for _, start := range []machine{
		{state: stateWaiting, suspended: true, armed: true},
		{state: stateRunning, inDispatch: true, suspended: true},
		{state: stateRunning, inDispatch: true, suspended: true, awaiting: true},
	} {
		for _, p := range permutations(len(evs)) {
			m := start
			var deciders []event // events accepted while the cycle was undecided
			completes := 0
			for _, i := range p {
				undecided := !m.resumed && !m.expired && !m.complete
				waits := m.armed || m.awaiting
				act, err := m.transition(evs[i], false, false)
				switch ev := evs[i]; {
				case ev == evSetTimeout:
					want := action(0)
					if undecided && waits {
						want = actDisarm | actArm
					}
					if err != nil || act != want {
						t.Errorf("%v from %+v: SetTimeout = %b, %v; want %b, nil", p, start, act, err, want)
					}
				case ev == evComplete:
					completes++
					switch {
					case completes == 1 && err != nil:
						t.Errorf("%v from %+v: the first Complete refused: %v", p, start, err)
					case completes == 2 && err != api.ErrCompleted:
						t.Errorf("%v from %+v: the second Complete = %v, want %v", p, start, err, api.ErrCompleted)
					case err == nil && undecided:
						deciders = append(deciders, ev)
					}
				case err == nil && undecided:
					deciders = append(deciders, ev)
				case err == nil:
					t.Errorf("%v from %+v: %v accepted after the cycle was decided", p, start, ev)
				case undecided:
					t.Errorf("%v from %+v: %v refused on an undecided cycle: %v", p, start, ev, err)
				}
			}
			var first event
			for _, i := range p {
				if evs[i] != evSetTimeout {
					first = evs[i]
					break
				}
			}
			if len(deciders) != 1 {
				t.Errorf("%v from %+v: %d events decided the cycle %v, want exactly 1", p, start, len(deciders), deciders)
				continue
			}
			if deciders[0] != first {
				t.Errorf("%v from %+v: %v decided, want the first event, %v", p, start, deciders[0], first)
			}
			// The flags agree with the decider: resumed xor expired, or
			// neither when Complete came first.
			if got, want := [2]bool{m.resumed, m.expired}, [2]bool{deciders[0] == evResume, deciders[0] == evTimeout}; got != want {
				t.Errorf("%v from %+v: resumed, expired = %v, want %v", p, start, got, want)
			}
			if !m.complete {
				t.Errorf("%v from %+v: complete lost", p, start)
			}
		}
	}
}

// permutations returns every ordering of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var all [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			all = append(all, q)
		}
	}
	return all
}
