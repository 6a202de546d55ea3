package formdata

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestParseTransitions: every event in every state, the move and what the
// caller is told; an event that cannot happen is refused and leaves the
// state as it was.
func TestParseTransitions(t *testing.T) {
	const invalid = claimed(255)
	want := map[parseState]map[parseEvent]struct {
		next parseState
		c    claimed
	}{
		unparsed: {
			evClaim:      {reading, parseFirst},
			evClaimAsync: {startingAsync, parseFirst},
			evSettle:     {unparsed, invalid},
			evRelease:    {unparsed, invalid},
			evRun:        {unparsed, invalid},
			evAbort:      {unparsed, unchanged},
		},
		reading: {
			evClaim:      {reading, wait},
			evClaimAsync: {reading, refused},
			evSettle:     {settled, moved},
			evRelease:    {reading, invalid},
			evRun:        {reading, invalid},
			evAbort:      {reading, unchanged},
		},
		startingAsync: {
			evClaim:      {startingAsync, refused},
			evClaimAsync: {startingAsync, refused},
			evSettle:     {settled, moved},
			evRelease:    {unparsed, moved},
			evRun:        {readingAsync, moved},
			evAbort:      {startingAsync, unchanged},
		},
		readingAsync: {
			evClaim:      {readingAsync, refused},
			evClaimAsync: {readingAsync, refused},
			evSettle:     {settled, moved},
			evRelease:    {readingAsync, invalid},
			evRun:        {readingAsync, invalid},
			evAbort:      {settled, moved},
		},
		settled: {
			evClaim:      {settled, useStored},
			evClaimAsync: {settled, useStored},
			evSettle:     {settled, invalid},
			evRelease:    {settled, invalid},
			evRun:        {settled, invalid},
			evAbort:      {settled, useStored},
		},
	}
	for s := unparsed; s <= settled; s++ {
		for ev := evClaim; ev <= evAbort; ev++ {
			w := want[s][ev]
			next, c, err := transition(s, ev)
			if w.c == invalid {
				if err == nil || next != s {
					t.Errorf("%v in %v: %v, %v, %v; want refused, state kept", ev, s, next, c, err)
				}
				continue
			}
			if err != nil || next != w.next || c != w.c {
				t.Errorf("%v in %v: %v, %v, %v; want %v, %v", ev, s, next, c, err, w.next, w.c)
			}
		}
	}
}

// TestParseClaimRaces: calls of both styles claim one parse at once, in
// every order the scheduler makes: exactly one reads; each other Parse
// waits and gets the outcome, or reads itself after an async claim let
// go, and never blocks for ever; each other ParseAsync is refused while a
// parse reads, or gets the outcome.
func TestParseClaimRaces(t *testing.T) {
	stored := errors.New("stored outcome")
	for _, tt := range []struct {
		name    string
		release bool // the async reader lets go instead of settling
		run     bool // the async reader starts async mode before it settles
	}{{"settle", false, false}, {"release", true, false}, {"run", false, true}} {
		t.Run(tt.name, func(t *testing.T) {
			for run := range 200 {
				p := new(parsed)
				var mu sync.Mutex
				readers := 0
				var wg sync.WaitGroup
				for i := range 8 {
					isAsync := (i+run)%3 == 0
					wg.Go(func() {
						c, _, err := p.claim(isAsync)
						switch c {
						case parseFirst:
							mu.Lock()
							readers++
							mu.Unlock()
							if isAsync && tt.release {
								p.release()
								return
							}
							if isAsync && tt.run {
								p.run()
							}
							p.settle(nil, stored)
						case useStored:
							if err != stored {
								t.Errorf("run %d: stored %v", run, err)
							}
						case refused:
							if !isAsync && !errors.Is(err, errParsing) || isAsync && err != errParsing {
								t.Errorf("run %d: refused with %v", run, err)
							}
						default:
							t.Errorf("run %d: claim said %v", run, c)
						}
					})
				}
				wg.Wait()
				if p.state == reading || p.state == startingAsync || p.state == readingAsync || p.done != nil {
					t.Fatalf("run %d: left %v (done %v)", run, p.state, p.done != nil)
				}
				if readers == 0 || !tt.release && readers != 1 {
					t.Fatalf("run %d: %d readers", run, readers)
				}
			}
		})
	}
}

// TestParseStepPanicsOnInvalid: a settle twice is a bug that would hand
// two outcomes; step refuses it rather than overwrite the first.
func TestParseStepPanicsOnInvalid(t *testing.T) {
	p := new(parsed)
	p.claim(false)
	p.settle(nil, nil)
	defer func() {
		if r := recover(); r == nil || p.state != settled || !errorsMatch(r, "settle in state settled") {
			t.Errorf("second settle: %v, state %v", r, p.state)
		}
	}()
	p.settle(nil, errors.New("again"))
}

func errorsMatch(r any, s string) bool {
	err, ok := r.(error)
	return ok && fmt.Sprint(err) == "formdata: "+s
}
