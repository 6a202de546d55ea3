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
		{"complete while waiting", waiting, evComplete, false, false, stateCompleting, actDisarm | actFinish, nil},
		{"complete while running", suspendedRunning, evComplete, false, false, stateRunning, actDisarm, nil},
		{"complete twice", completing, evComplete, false, false, stateCompleting, 0, api.ErrCompleted},
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
// suspended exchange and checks that exactly one of resume, timeout and
// complete decides the cycle: the first to arrive. A resume or timeout that
// comes after the decision is refused; a Complete that comes after a resume
// or a timeout is accepted (it finishes the response as it stands) but does
// not decide anything: the cycle stays resumed or expired.
func TestExactlyOneOutcome(t *testing.T) {
	evs := []event{evResume, evTimeout, evComplete}
	perms := [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	for _, start := range []machine{
		{state: stateWaiting, suspended: true, armed: true},
		{state: stateRunning, inDispatch: true, suspended: true},
	} {
		for _, p := range perms {
			m := start
			var deciders []event // events accepted while the cycle was undecided
			for _, i := range p {
				undecided := !m.resumed && !m.expired && !m.complete
				_, err := m.transition(evs[i], false, false)
				switch {
				case err == nil && undecided:
					deciders = append(deciders, evs[i])
				case err == nil && evs[i] != evComplete:
					t.Errorf("%v from %v: %v accepted after the cycle was decided", p, start.state, evs[i])
				case err != nil && undecided:
					t.Errorf("%v from %v: %v refused on an undecided cycle: %v", p, start.state, evs[i], err)
				case err != nil && evs[i] == evComplete:
					t.Errorf("%v from %v: Complete refused: %v", p, start.state, err)
				}
			}
			if len(deciders) != 1 {
				t.Errorf("%v from %v: %d events decided the cycle %v, want exactly 1", p, start.state, len(deciders), deciders)
				continue
			}
			if first := evs[p[0]]; deciders[0] != first {
				t.Errorf("%v from %v: %v decided, want the first event, %v", p, start.state, deciders[0], first)
			}
			// The flags agree with the decider: resumed xor expired, or
			// neither when Complete came first.
			if got, want := [2]bool{m.resumed, m.expired}, [2]bool{deciders[0] == evResume, deciders[0] == evTimeout}; got != want {
				t.Errorf("%v from %v: resumed, expired = %v, want %v", p, start.state, got, want)
			}
			if !m.complete {
				t.Errorf("%v from %v: complete lost", p, start.state)
			}
		}
	}
}
