package dispatcher

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestTransition drives the pure production machine through each edge.
func TestTransition(t *testing.T) {
	idle := machine{}
	producing := machine{state: stateProducing}
	reproducing := machine{state: stateReproducing}
	idleHanded := machine{handed: true}
	idleDispatched := machine{dispatched: true}
	producingHanded := machine{state: stateProducing, handed: true}
	producingDispatched := machine{state: stateProducing, dispatched: true}

	tests := []struct {
		name string
		from machine
		ev   event
		took bool
		want machine
		act  action
		err  error
	}{
		{"produce when idle", idle, evProduce, false, producing, actProduce, nil},
		{"produce while producing", producing, evProduce, false, reproducing, actNone, nil},
		{"produce while reproducing", reproducing, evProduce, false, reproducing, actNone, nil},
		{"produce while a handed producer is on its way", idleHanded, evProduce, false, producingHanded, actProduce, nil},

		{"dispatch when idle, no reserved", idle, evDispatch, false, idleDispatched, actExecute, nil},
		{"dispatch when idle, reserved took it", idle, evDispatch, true, idleHanded, actNone, nil},
		{"dispatch while producing", producing, evDispatch, false, reproducing, actNone, nil},
		{"dispatch while reproducing", reproducing, evDispatch, false, reproducing, actNone, nil},
		{"dispatch while dispatched", idleDispatched, evDispatch, false, idleDispatched, actNone, nil},
		{"dispatch while handed", idleHanded, evDispatch, false, idleHanded, actNone, nil},
		{"dispatch failed", idleDispatched, evDispatchFailed, false, idle, actNone, nil},
		{"dispatch failed, nothing dispatched", idle, evDispatchFailed, false, idle, actNone, errIllegal},

		{"dispatched starts when idle", idleDispatched, evStartDispatched, false, producing, actProduce, nil},
		{"dispatched starts while producing", producingDispatched, evStartDispatched, false, reproducing, actNone, nil},
		{"dispatched starts, none dispatched", idle, evStartDispatched, false, idle, actNone, errIllegal},
		{"handed starts when idle", idleHanded, evStartHanded, false, producing, actProduce, nil},
		{"handed starts while producing", producingHanded, evStartHanded, false, reproducing, actNone, nil},
		{"handed starts, none handed", idle, evStartHanded, false, idle, actNone, errIllegal},

		{"hand-off taken", producing, evHandOff, true, idleHanded, actConsume, nil},
		{"hand-off taken while reproducing", reproducing, evHandOff, true, idleHanded, actConsume, nil},
		{"hand-off to the producer already handed", producingHanded, evHandOff, false, idleHanded, actConsume, nil},
		{"hand-off not taken", producing, evHandOff, false, producing, actNone, nil},
		{"hand-off not taken, a dispatched producer does not count", producingDispatched, evHandOff, false, producingDispatched, actNone, nil},
		{"hand-off when idle", idle, evHandOff, true, idle, actNone, errIllegal},

		{"consumed, nobody took production up", idleHanded, evConsumed, false, producingHanded, actProduce, nil},
		{"consumed, the handed producer produced and left", idle, evConsumed, false, producing, actProduce, nil},
		{"consumed while another produces", producing, evConsumed, false, producing, actNone, nil},
		{"consumed while another reproduces", reproducing, evConsumed, false, reproducing, actNone, nil},

		{"no task", producing, evNoTask, false, idle, actNone, nil},
		{"no task, production asked again", reproducing, evNoTask, false, producing, actProduce, nil},
		{"no task when idle", idle, evNoTask, false, idle, actNone, errIllegal},
		{"unknown event", idle, event(200), false, idle, actNone, errIllegal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.from
			act, err := m.transition(tt.ev, tt.took)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if m != tt.want {
				t.Errorf("machine = %+v, want %+v", m, tt.want)
			}
			if act != tt.act {
				t.Errorf("action = %v, want %v", act, tt.act)
			}
		})
	}
}

// TestTransitionTotal applies every event, with and without a reserved
// goroutine, to every machine and checks what must always hold.
func TestTransitionTotal(t *testing.T) {
	for st := stateIdle; st <= stateReproducing; st++ {
		for flags := range 4 {
			from := machine{state: st, dispatched: flags&1 != 0, handed: flags&2 != 0}
			for ev := evProduce; ev <= evNoTask; ev++ {
				for _, took := range []bool{false, true} {
					m := from
					act, err := m.transition(ev, took)
					name := fmt.Sprintf("%+v %v took=%v", from, ev, took)
					if err != nil {
						if m != from {
							t.Errorf("%s: failed transition changed the machine to %+v", name, m)
						}
						continue
					}
					if (act == actProduce) != (m.state != stateIdle && from.state == stateIdle ||
						ev == evNoTask && from.state == stateReproducing) {
						t.Errorf("%s: act %v, state %v: the caller must produce exactly when it becomes the producer", name, act, m.state)
					}
					if act == actConsume && !(m.state == stateIdle && m.handed) {
						t.Errorf("%s: consume without handing production over: %+v", name, m)
					}
					if m.dispatched && !from.dispatched && act != actExecute {
						t.Errorf("%s: marked dispatched without executing", name)
					}
					if m.handed && !from.handed && !took {
						t.Errorf("%s: marked handed without a reserved goroutine", name)
					}
					if took && !from.offers(ev) {
						m2 := from
						act2, _ := m2.transition(ev, false)
						if m2 != m || act2 != act {
							t.Errorf("%s: took honoured where nothing was offered", name)
						}
					}
				}
			}
		}
	}
}

// The model below explores every interleaving of a few goroutines using a
// Strategy, one critical section (or one call of the producer) per step,
// and checks that no work is left unproduced when they have all returned,
// and that one goroutine at most runs the production loop.

type taskKind uint8

const (
	kNonBlocking taskKind = iota
	kBlocking
	kEither
)

type call uint8

const (
	callProduce call = iota
	callProduceNonBlocking
	callDispatch
)

// pc is where a simulated goroutine is.
type pc uint8

const (
	pcAdd      pc = iota // about to add its work item
	pcCall               // about to call Produce/ProduceNonBlocking/Dispatch
	pcStart              // a dispatched or handed producer about to start
	pcProduce            // in the loop, about to ask the producer
	pcHandOff            // in the loop, holding a task that may block
	pcConsumed           // consumed a task in EPC mode
	pcNoTask             // in the loop, the producer had nothing
	pcDone
)

type actor struct {
	pc       pc
	call     call
	item     taskKind
	mayBlock bool
	start    event // for pcStart
}

type world struct {
	m      machine
	work   []taskKind
	actors []actor
}

func (w *world) clone() *world {
	c := &world{m: w.m, work: append([]taskKind(nil), w.work...), actors: append([]actor(nil), w.actors...)}
	return c
}

// normalize drops the goroutines that have returned and sorts the others:
// goroutines in the same place are interchangeable, which keeps the
// exploration small.
func (w *world) normalize() {
	live := w.actors[:0]
	for _, a := range w.actors {
		if a.pc != pcDone {
			live = append(live, a)
		}
	}
	slices.SortFunc(live, func(a, b actor) int { return cmp.Compare(a.code(), b.code()) })
	w.actors = live
}

func (a actor) code() uint32 {
	mb := uint32(0)
	if a.mayBlock {
		mb = 1
	}
	return uint32(a.pc)<<24 | uint32(a.call)<<16 | uint32(a.item)<<8 | uint32(a.start)<<1 | mb
}

func (w *world) key() string {
	b := []byte{byte(w.m.state), bool2byte(w.m.dispatched), bool2byte(w.m.handed), byte(len(w.work))}
	for _, k := range w.work {
		b = append(b, byte(k))
	}
	for _, a := range w.actors {
		c := a.code()
		b = append(b, byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
	}
	return string(b)
}

func bool2byte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

type transitionFunc func(m *machine, ev event, took bool) (action, error)

// checker explores the worlds reachable from a start.
type checker struct {
	tr      transitionFunc
	seen    map[string]bool
	failure string
	states  int
}

// successors returns the worlds one step of actor i leads to (two when the
// step tries a reserved goroutine: one is parked, or none is).
func (c *checker) successors(w *world, i int) []*world {
	a := w.actors[i]
	apply := func(w *world, ev event, took bool) action {
		act, err := c.tr(&w.m, ev, took)
		if err != nil && c.failure == "" {
			c.failure = fmt.Sprintf("%v took=%v: %v", ev, took, err)
		}
		return act
	}
	branch := func(ev event) []*world {
		var out []*world
		tooks := []bool{false}
		if w.m.offers(ev) {
			tooks = []bool{false, true}
		}
		for _, took := range tooks {
			n := w.clone()
			b := &n.actors[i]
			act := apply(n, ev, took)
			if took && ev != evStartHanded {
				n.actors = append(n.actors, actor{pc: pcStart, start: evStartHanded, mayBlock: true})
				b = &n.actors[i]
			}
			switch act {
			case actExecute:
				n.actors = append(n.actors, actor{pc: pcStart, start: evStartDispatched, mayBlock: true})
				b = &n.actors[i]
				b.pc = pcDone
			case actConsume:
				b.pc = pcConsumed
			case actProduce:
				b.pc = pcProduce
			default:
				if ev == evHandOff {
					b.pc = pcProduce // PEC or PIC, then produce on
				} else {
					b.pc = pcDone
				}
			}
			out = append(out, n)
		}
		return out
	}
	switch a.pc {
	case pcAdd:
		n := w.clone()
		n.work = append(n.work, a.item)
		n.actors[i].pc = pcCall
		return []*world{n}
	case pcCall:
		switch a.call {
		case callDispatch:
			return branch(evDispatch)
		default:
			n := w.clone()
			n.actors[i].mayBlock = a.call == callProduce
			if apply(n, evProduce, false) == actProduce {
				n.actors[i].pc = pcProduce
			} else {
				n.actors[i].pc = pcDone
			}
			return []*world{n}
		}
	case pcStart:
		n := w.clone()
		if apply(n, a.start, false) == actProduce {
			n.actors[i].pc = pcProduce
		} else {
			n.actors[i].pc = pcDone
		}
		return []*world{n}
	case pcProduce:
		n := w.clone()
		if len(n.work) == 0 {
			n.actors[i].pc = pcNoTask
			return []*world{n}
		}
		k := n.work[0]
		n.work = n.work[1:]
		if k != kNonBlocking && a.mayBlock {
			n.actors[i].pc = pcHandOff
		}
		return []*world{n}
	case pcHandOff:
		return branch(evHandOff)
	case pcConsumed, pcNoTask:
		ev := evConsumed
		if a.pc == pcNoTask {
			ev = evNoTask
		}
		n := w.clone()
		if apply(n, ev, false) == actProduce {
			n.actors[i].pc = pcProduce
		} else {
			n.actors[i].pc = pcDone
		}
		return []*world{n}
	}
	return nil
}

func (c *checker) explore(w *world) {
	if c.failure != "" {
		return
	}
	k := w.key()
	if c.seen[k] {
		return
	}
	c.seen[k] = true
	c.states++
	if c.states > 5_000_000 {
		c.failure = "state space too large"
		return
	}
	producers := 0
	for _, a := range w.actors {
		if a.pc == pcProduce || a.pc == pcHandOff || a.pc == pcNoTask {
			producers++
		}
	}
	if producers > 1 || (producers == 1) != (w.m.state != stateIdle) {
		c.failure = fmt.Sprintf("%d goroutines in the loop with the machine %+v: %v", producers, w.m, w.actors)
		return
	}
	moved := false
	for i := range w.actors {
		moved = true
		for _, n := range c.successors(w, i) {
			n.normalize()
			c.explore(n)
		}
	}
	if !moved && (len(w.work) > 0 || w.m != (machine{})) {
		c.failure = fmt.Sprintf("everybody returned, work %v left, machine %+v", w.work, w.m)
	}
}

// check explores every scenario of adders: each adds one item of some kind
// and then calls Produce, ProduceNonBlocking or Dispatch.
func check(tr transitionFunc, adders int) (failure string, states int) {
	kinds := []taskKind{kNonBlocking, kBlocking, kEither}
	calls := []call{callProduce, callProduceNonBlocking, callDispatch}
	var choices []actor
	for _, k := range kinds {
		for _, cl := range calls {
			choices = append(choices, actor{pc: pcAdd, item: k, call: cl})
		}
	}
	// Adders are interchangeable: every multiset of choices is a scenario.
	var scenario func(actors []actor, from int) bool
	scenario = func(actors []actor, from int) bool {
		if len(actors) < adders {
			for i := from; i < len(choices); i++ {
				if scenario(append(actors, choices[i]), i) {
					return true
				}
			}
			return false
		}
		c := &checker{tr: tr, seen: map[string]bool{}}
		c.explore(&world{actors: append([]actor(nil), actors...)})
		states += c.states
		if c.failure != "" {
			failure = fmt.Sprintf("scenario %v: %s", actors, c.failure)
			return true
		}
		return false
	}
	scenario(nil, 0)
	return failure, states
}

func realTransition(m *machine, ev event, took bool) (action, error) { return m.transition(ev, took) }

// TestNoLostWakeup explores every interleaving of three goroutines that
// each add work and ask for production: when all have returned, all work
// has been produced, and the loop never ran on two goroutines at once.
func TestNoLostWakeup(t *testing.T) {
	adders := 3
	if testing.Short() {
		adders = 2
	}
	failure, states := check(realTransition, adders)
	if failure != "" {
		t.Fatal(failure)
	}
	t.Logf("%d states explored", states)
}

// TestCheckerFindsLostWakeups makes sure the exploration above can fail:
// machines with a classic lost wake-up each get caught.
func TestCheckerFindsLostWakeups(t *testing.T) {
	mutants := map[string]transitionFunc{
		"produce while producing is ignored": func(m *machine, ev event, took bool) (action, error) {
			if ev == evProduce && m.state != stateIdle {
				return actNone, nil
			}
			return m.transition(ev, took)
		},
		"no task stops even when asked again": func(m *machine, ev event, took bool) (action, error) {
			if ev == evNoTask && m.state == stateReproducing {
				m.state = stateIdle
				return actNone, nil
			}
			return m.transition(ev, took)
		},
		"dispatch while producing is ignored": func(m *machine, ev event, took bool) (action, error) {
			if ev == evDispatch && m.state != stateIdle {
				return actNone, nil
			}
			return m.transition(ev, took)
		},
		"hand-off leaves the state producing": func(m *machine, ev event, took bool) (action, error) {
			if ev == evHandOff && (took || m.handed) {
				m.handed = true
				return actConsume, nil
			}
			return m.transition(ev, took)
		},
	}
	for name, tr := range mutants {
		failure, _ := check(tr, 2)
		if failure == "" {
			t.Errorf("%s: not caught", name)
			continue
		}
		if !strings.Contains(failure, "scenario") {
			t.Errorf("%s: %s", name, failure)
		}
	}
}
