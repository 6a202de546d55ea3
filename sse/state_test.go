package sse

import "testing"

// Every state × event, against the diagram in state.go.
func TestTransition(t *testing.T) {
	type edge struct {
		to  state
		act action
	}
	want := map[state]map[event]edge{
		stOpening: {
			evReplayed:  {stLive, actWrite},
			evOverflow:  {stClosing, actComplete | actSlow},
			evStop:      {stClosing, actComplete},
			evCompleted: {stClosed, actRelease},
			// Nothing is sent while opening: either overflow completes.
			evOverflowUnsent: {stClosing, actComplete | actSlow},
		},
		stLive: {
			evReplayed:  {stLive, 0},
			evOverflow:  {stClosing, actFail | actSlow},
			evStop:      {stClosing, actComplete},
			evCompleted: {stClosed, actRelease},
			// Before the head went out: a failure would be a 503, on which
			// an EventSource gives up for good.
			evOverflowUnsent: {stClosing, actComplete | actSlow},
		},
		stClosing: {
			evReplayed:       {stClosing, 0},
			evOverflow:       {stClosing, 0},
			evStop:           {stClosing, 0},
			evCompleted:      {stClosed, actRelease},
			evOverflowUnsent: {stClosing, 0},
		},
		stClosed: {
			evReplayed:       {stClosed, 0},
			evOverflow:       {stClosed, 0},
			evStop:           {stClosed, 0},
			evCompleted:      {stClosed, 0},
			evOverflowUnsent: {stClosed, 0},
		},
	}
	for s := stOpening; s <= stClosed; s++ {
		for ev := evReplayed; ev <= evOverflowUnsent; ev++ {
			to, act := transition(s, ev)
			if w := want[s][ev]; to != w.to || act != w.act {
				t.Errorf("%v + %v = %v, %b; want %v, %b", s, ev, to, act, w.to, w.act)
			}
		}
	}
}
