package qos

import (
	"sync"
	"testing"
)

// Every state × event, against the waiter diagram in qos.go.
func TestWaiterTransition(t *testing.T) {
	type edge struct {
		to waiterState
		ok bool
	}
	want := map[waiterState]map[waiterEvent]edge{
		waiting: {
			evQueue:  {waiting, true},
			evGrant:  {granted, true},
			evMiss:   {missed, true},
			evRefuse: {over, true},
			evExpire: {refusing, true},
			evLeave:  {over, true},
			// Only a wait whose permit went on takes a free place itself:
			// a queued one waits for the permit handed to it.
			evTake: {waiting, false},
			// Nothing to run before a permit, nothing to refuse before
			// its wait expired.
			evRun:     {waiting, false},
			evRefused: {waiting, false},
			// A queued wait holds no permit whose dispatch another filter
			// could hold back, and its request is here until it leaves.
			evHeld: {waiting, false},
			evBack: {waiting, false},
			evDrop: {waiting, false},
		},
		granted: {
			evRun:   {running, true},
			evLeave: {over, true},
			// Its Resume landed on another QoS filter's wait, which holds
			// the dispatch back: the permit goes on, the wait is away.
			evHeld: {away, true},
			// A permit holder is out of the queue, its Resume taken: it
			// is neither queued, granted, refused nor expired again.
			evQueue:   {granted, false},
			evGrant:   {granted, false},
			evMiss:    {granted, false},
			evTake:    {granted, false},
			evRefuse:  {granted, false},
			evExpire:  {granted, false},
			evRefused: {granted, false},
			evBack:    {granted, false},
			evDrop:    {granted, false},
		},
		missed: {
			evQueue:   {waiting, true},
			evGrant:   {granted, true},
			evMiss:    {missed, true},
			evTake:    {granted, true},
			evRefuse:  {over, true},
			evExpire:  {refusing, true},
			evLeave:   {over, true},
			evRun:     {missed, false},
			evRefused: {missed, false},
			evHeld:    {missed, false},
			evBack:    {missed, false},
			evDrop:    {missed, false},
		},
		// The request waits in another QoS filter: the events of that
		// suspension are stale here. Its timeout is not this wait's
		// expiry, and its end (the client left there, or that filter
		// refused it) is counted there, not as a Left here: drop only.
		// Only a dispatch back here resumes the wait, as missed.
		away: {
			evBack:    {missed, true},
			evDrop:    {over, true},
			evQueue:   {away, false},
			evGrant:   {away, false},
			evMiss:    {away, false},
			evTake:    {away, false},
			evRun:     {away, false},
			evRefuse:  {away, false},
			evExpire:  {away, false},
			evRefused: {away, false},
			evLeave:   {away, false},
			evHeld:    {away, false},
		},
		refusing: {
			evRefused: {over, true},
			evLeave:   {over, true},
			evQueue:   {refusing, false},
			evGrant:   {refusing, false},
			evMiss:    {refusing, false},
			evTake:    {refusing, false},
			evRun:     {refusing, false},
			evRefuse:  {refusing, false},
			evExpire:  {refusing, false},
			evHeld:    {refusing, false},
			evBack:    {refusing, false},
			evDrop:    {refusing, false},
		},
	}
	// running and over are final: every event is refused.
	want[running], want[over] = map[waiterEvent]edge{}, map[waiterEvent]edge{}
	for ev := range numWaiterEvents {
		want[running][ev] = edge{running, false}
		want[over][ev] = edge{over, false}
	}
	for s := range numWaiterStates {
		for ev := range numWaiterEvents {
			w, listed := want[s][ev]
			if !listed {
				t.Fatalf("%v + %v: not in the test's table", s, ev)
			}
			if to, ok := waiterTransition(s, ev); to != w.to || ok != w.ok {
				t.Errorf("%v + %v = %v, %v; want %v, %v", s, ev, to, ok, w.to, w.ok)
			}
			wt := &waiter{state: s}
			if ok := wt.fire(ev); ok != w.ok || wt.state != w.to {
				t.Errorf("fire %v in %v: %v, now %v; want %v, %v", ev, s, ok, wt.state, w.ok, w.to)
			}
		}
	}
}

// Every event at once, each from its own goroutine as the filter's are
// (dispatches, the permit's giver, the timeout and completion listeners),
// under f.mu, from every state: the events taken are a serial history of
// the table, so the wait ends (over) at most once and nothing moves it
// after it ends or runs.
func TestWaiterEventsRace(t *testing.T) {
	for from := range numWaiterStates {
		for range 200 {
			f := &Filter{}
			wt := &waiter{f: f, state: from}
			type step struct {
				ev       waiterEvent
				from, to waiterState
			}
			var (
				history []step
				start   = make(chan struct{})
				wg      sync.WaitGroup
			)
			for ev := range numWaiterEvents {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					f.mu.Lock()
					defer f.mu.Unlock()
					before := wt.state
					if wt.fire(ev) {
						history = append(history, step{ev, before, wt.state})
					}
				}()
			}
			close(start)
			wg.Wait()
			s, ended := from, 0
			for _, st := range history {
				to, ok := waiterTransition(s, st.ev)
				if !ok || st.from != s || st.to != to {
					t.Fatalf("from %v: %v took %v → %v, the table says %v → %v (%v)", from, st.ev, st.from, st.to, s, to, ok)
				}
				if to == over && s != over {
					ended++
				}
				s = to
			}
			if s != wt.state || ended > 1 {
				t.Fatalf("from %v: history %v ends in %v, the wait is %v, ended %d times", from, history, s, wt.state, ended)
			}
		}
	}
}
