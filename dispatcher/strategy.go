package dispatcher

import (
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-go/wharf/api"
)

// StrategyConfig configures a Strategy. The zero value is ready to use.
type StrategyConfig struct {
	// Reserved limits the reserved goroutines: goroutines of the executor
	// parked on a channel, each ready to take over production at once so
	// that the producing goroutine can consume a task that may block (EPC).
	// Zero means adaptive: one is reserved when the strategy is made, one
	// more each time a hand-off finds none parked, up to GOMAXPROCS and at
	// most an eighth of the executor's MaxWorkers (at least one). Positive
	// means the same with this limit. Either way the strategy never
	// reserves the executor's last worker (an executor of one worker gets
	// none): a parked reservation would keep the tasks queued behind it
	// waiting until ReservedIdle. Strategies that share an executor take
	// their settings from SharedReserved, so that together they keep that
	// worker free too. Negative means none: Blocking tasks
	// always go to the executor (PEC) and Either tasks run inline (PIC).
	Reserved int
	// ReservedIdle is how long a reserved goroutine stays parked unused
	// before it exits, giving its worker back; at most one exits per
	// ReservedIdle. Zero means 1s; negative means only Close ends them.
	ReservedIdle time.Duration
	// Rejected receives the tasks the executor refused in PEC mode, with
	// Execute's error (ErrRejected when its queue is full). It is called on
	// the producing goroutine and must not block: fail the work (answer 503,
	// close the connection) or hand it elsewhere. Nil means: a task refused
	// with ErrRejected runs on a goroutine of its own, outside the
	// executor's limits, so production goes on and no task is lost; a task
	// refused for another reason (a closed executor) is logged and dropped.
	Rejected func(t Task, err error)
	// Logger receives panics of the producer and of tasks run inline, and
	// dropped tasks. Nil means slog.Default().
	Logger *slog.Logger
}

// Strategy is Jetty's AdaptiveExecutionStrategy, formerly "eat what you
// kill": it runs a Producer's production loop and picks, for each task,
// how to consume it so that tasks run on the goroutine that produced them
// (hot cache, no hand-off latency) whenever that cannot starve the
// producer. The rule, per task:
//
//   - NonBlocking: Produce-Consume (PC). The producing goroutine runs it and
//     goes on producing.
//   - Blocking, on a goroutine that may block, when a reserved goroutine is
//     parked (or one was already handed production and has not started):
//     Execute-Produce-Consume (EPC). Production is handed to the reserved
//     goroutine, and the producing goroutine consumes the task. When the
//     task returns it takes production back if nobody holds it by then.
//   - Blocking otherwise: Produce-Execute-Consume (PEC). The task goes to
//     the executor (Execute, which never blocks) and production goes on.
//     A refused task goes to StrategyConfig.Rejected.
//   - Either: EPC under the same conditions as Blocking; otherwise
//     Produce-Invoke-Consume (PIC): the producing goroutine runs it in its
//     non-blocking form (Task.RunNonBlocking, or Run) and goes on
//     producing. Either tasks never wait for the executor.
//
// Produce and Dispatch run on goroutines that may block; ProduceNonBlocking
// is for a caller that must not (an event loop, or the non-blocking form of
// an Either task that drives this strategy from another one): there,
// Blocking tasks always take PEC and Either tasks PIC.
//
// Starvation is impossible: production never waits for the executor, and
// a goroutine consumes a task that may block only after production has
// passed to a goroutine that is already running (a parked reserved one;
// TryExecute never queues). So while any task can be produced, some
// goroutine is producing it, even when every worker is blocked and the
// queue is full; a NonBlocking task that would unblock them still runs.
//
// Only one goroutine runs the production loop at a time. A Produce or
// Dispatch while another goroutine produces only marks production as
// wanted again: the producing goroutine asks the Producer once more before
// it stops, so work added before the call is never left behind. A panic of
// the producer or of a task run on the producing goroutine is logged (see
// StrategyConfig.Logger); one that ends that goroutine with runtime.Goexit
// leaves the production loop to a new goroutine, which goes on with it.
//
// Close the Strategy before its executor: the reserved goroutines are
// tasks of the executor, and its Close waits for them.
type Strategy struct {
	producer Producer
	ex       Executor
	res      *reserved // nil: no reserved goroutines
	rejected func(Task, error)
	log      *slog.Logger

	mu sync.Mutex
	m  machine

	// The production loop as the two kinds of pending producer, built once
	// so that handing production over allocates nothing.
	dispatchedTask, handedTask Task

	closed                atomic.Bool
	pc, pic, epc, pec, rj atomic.Uint64
}

// NewStrategy returns a strategy that runs p's tasks, using ex for PEC
// tasks, Dispatch and the reserved goroutines. With the default
// configuration it reserves one goroutine of ex at once, unless ex has
// only one.
func NewStrategy(p Producer, ex Executor, cfg StrategyConfig) *Strategy {
	s := &Strategy{producer: p, ex: ex, rejected: cfg.Rejected, log: cfg.Logger}
	s.dispatchedTask = Task{Run: s.runDispatched, Type: api.Blocking}
	s.handedTask = Task{Run: s.runHanded, Type: api.Blocking}
	limit := cfg.Reserved
	mw := ex.Stats().MaxWorkers
	if limit == 0 {
		limit = adaptiveReserved(mw)
	}
	if mw > 0 {
		limit = min(limit, mw-1)
	}
	if limit > 0 {
		idle := cfg.ReservedIdle
		if idle == 0 {
			idle = time.Second
		}
		s.res = newReserved(ex, limit, idle, cfg.Logger)
		s.res.grow()
	}
	return s
}

// adaptiveReserved is Reserved's zero for an executor of maxWorkers (0:
// no limit): GOMAXPROCS, and at most an eighth of the workers, at least
// one.
func adaptiveReserved(maxWorkers int) int {
	if maxWorkers > 0 {
		return min(runtime.GOMAXPROCS(0), max(1, maxWorkers/8))
	}
	return runtime.GOMAXPROCS(0)
}

// SharedReserved returns the Reserved settings of n strategies that share
// ex, as a server's selectors do: each its adaptive limit (Reserved's
// zero), with their sum kept below ex's MaxWorkers, so that together they
// never reserve its last worker either. A strategy left no share gets -1,
// none. For an executor without a limit every setting is 0.
func SharedReserved(ex Executor, n int) []int {
	out := make([]int, n)
	mw := ex.Stats().MaxWorkers
	if mw <= 0 || n <= 0 {
		return out
	}
	each, budget := adaptiveReserved(mw), mw-1
	for i := range out {
		share := budget / n
		if i < budget%n {
			share++
		}
		out[i] = min(each, share)
		if out[i] == 0 {
			out[i] = -1
		}
	}
	return out
}

// Produce runs the production loop on the calling goroutine, which may
// block, until the producer has nothing more and nobody asked for more
// meanwhile, or until the goroutine handed production over and consumed a
// task (EPC) and another goroutine produces by then. If another goroutine
// is producing, it returns at once after marking production as wanted
// again. Any goroutine may call it, any time.
func (s *Strategy) Produce() { s.start(evProduce, true) }

// ProduceNonBlocking is Produce for a goroutine that must not block:
// Blocking tasks go to the executor (PEC) and Either tasks run in their
// non-blocking form (PIC); NonBlocking tasks run inline as always. Any
// goroutine may call it, any time.
func (s *Strategy) ProduceNonBlocking() { s.start(evProduce, false) }

// Dispatch asks for production on another goroutine and returns at once:
// on a parked reserved goroutine if there is one, else on the executor
// (where it may wait in the queue like any task). It does nothing if a
// goroutine is producing (other than marking production as wanted again),
// if a producer is already on its way, or after Close. If the executor
// refuses with ErrRejected, production runs on a goroutine of its own. Any
// goroutine may call it, any time.
func (s *Strategy) Dispatch() {
	if s.closed.Load() {
		return
	}
	s.mu.Lock()
	offered := s.res != nil && s.m.offers(evDispatch)
	took := offered && s.res.tryExecute(s.handedTask)
	act, err := s.m.transition(evDispatch, took)
	s.mu.Unlock()
	s.check(err)
	if offered && !took {
		s.res.grow()
	}
	if act != actExecute {
		return
	}
	switch err := s.ex.Execute(s.dispatchedTask); {
	case err == nil:
	case errors.Is(err, ErrRejected):
		go s.runDispatched()
	default:
		s.step(evDispatchFailed, false)
		logger(s.log).Warn("dispatcher: production not dispatched", "err", err)
	}
}

// Close releases the reserved goroutines and makes later Dispatch calls do
// nothing. It does not stop a production loop in progress, and Produce
// still produces on its caller (with PC, PIC and PEC only). Any goroutine
// may call it, more than once.
func (s *Strategy) Close() {
	if s.closed.Swap(true) {
		return
	}
	if s.res != nil {
		s.res.close()
	}
}

// Stats returns the tasks consumed per mode and the reserved goroutines.
// Any goroutine may call it.
func (s *Strategy) Stats() StrategyStats {
	st := StrategyStats{
		PC:       s.pc.Load(),
		PIC:      s.pic.Load(),
		EPC:      s.epc.Load(),
		PEC:      s.pec.Load(),
		Rejected: s.rj.Load(),
	}
	if s.res != nil {
		s.res.stats(&st)
	}
	return st
}

// runDispatched is the production loop submitted by Dispatch.
func (s *Strategy) runDispatched() { s.start(evStartDispatched, true) }

// runHanded is the production loop handed to a reserved goroutine.
func (s *Strategy) runHanded() { s.start(evStartHanded, true) }

// start applies ev and, if the calling goroutine is to produce, runs the
// loop.
func (s *Strategy) start(ev event, mayBlock bool) {
	if s.step(ev, false) == actProduce {
		s.loop(mayBlock)
	}
}

// step applies one event under the lock.
func (s *Strategy) step(ev event, took bool) action {
	s.mu.Lock()
	act, err := s.m.transition(ev, took)
	s.mu.Unlock()
	s.check(err)
	return act
}

func (s *Strategy) check(err error) {
	if err != nil {
		panic("dispatcher: " + err.Error()) // a bug in this file, not in the caller
	}
}

// loop is the production loop; the calling goroutine owns production.
//
// A task run on this goroutine, or the producer, may end it with
// runtime.Goexit (t.FailNow in a handler under test), which the recover
// of safely does not stop. Production would go with it: the machine would
// say a goroutine produces when none does, and nobody would ask the
// producer again (an event loop's events would never be read). The
// deferred call goes on with the loop on a goroutine of its own as this
// one unwinds; for a task it consumed after handing production over, it
// first reports the task done, as the loop would have. One deferred call
// for the life of the loop, not one a task: the hot path pays nothing.
func (s *Strategy) loop(mayBlock bool) {
	returned, consuming := false, false
	defer func() {
		if returned {
			return
		}
		if consuming && s.step(evConsumed, false) != actProduce {
			return // production is another goroutine's
		}
		go s.loop(mayBlock)
	}()
	for {
		t, ok := s.produce()
		if !ok {
			if s.step(evNoTask, false) == actProduce {
				continue // production was asked for meanwhile
			}
			returned = true
			return
		}
		if t.Run == nil {
			logger(s.log).Error("dispatcher: producer returned a Task with nil Run")
			continue
		}
		if t.Type == api.NonBlocking {
			s.pc.Add(1)
			safely(s.log, "task", t.Run)
			continue
		}
		if mayBlock && s.res != nil {
			s.mu.Lock()
			offered := s.m.offers(evHandOff)
			took := offered && s.res.tryExecute(s.handedTask)
			act, err := s.m.transition(evHandOff, took)
			s.mu.Unlock()
			s.check(err)
			if act == actConsume {
				s.epc.Add(1)
				consuming = true
				safely(s.log, "task", t.Run)
				consuming = false
				if s.step(evConsumed, false) == actProduce {
					continue // nobody took production up meanwhile
				}
				returned = true
				return
			}
			s.res.grow()
		}
		if t.Type == api.Either {
			s.pic.Add(1)
			run := t.RunNonBlocking
			if run == nil {
				run = t.Run
			}
			safely(s.log, "task", run)
			continue
		}
		s.pec.Add(1)
		if err := s.ex.Execute(t); err != nil {
			s.reject(t, err)
		}
	}
}

// produce asks the producer for a task; a panic counts as nothing more.
func (s *Strategy) produce() (t Task, ok bool) {
	if !safely(s.log, "producer", func() { t, ok = s.producer.Produce() }) {
		return Task{}, false
	}
	return t, ok
}

// runRejected runs f, a task the executor refused, on a goroutine of its
// own, as an executor's worker would run it.
func runRejected(l *slog.Logger, f func()) {
	reserveStack()
	safely(l, "task", f)
}

// reject disposes of a task the executor refused.
func (s *Strategy) reject(t Task, err error) {
	s.rj.Add(1)
	switch {
	case s.rejected != nil:
		safely(s.log, "Rejected", func() { s.rejected(t, err) })
	case errors.Is(err, ErrRejected):
		go runRejected(s.log, t.Run)
	default:
		logger(s.log).Warn("dispatcher: task dropped", "err", err)
	}
}

// state says who produces.
type state uint8

const (
	// stateIdle: no goroutine runs the production loop. A producer may be
	// on its way (machine.handed, machine.dispatched).
	stateIdle state = iota
	// stateProducing: one goroutine runs the production loop.
	stateProducing
	// stateReproducing: one goroutine runs the loop, and production was
	// asked for again meanwhile: when the producer next has nothing, the
	// loop must ask it once more before it may stop.
	stateReproducing
)

var stateNames = [...]string{"Idle", "Producing", "Reproducing"}

func (s state) String() string { return stateNames[s] }

// event is an input to the production machine.
type event uint8

const (
	evProduce         event = iota // a goroutine offers to produce (Produce, ProduceNonBlocking)
	evDispatch                     // Dispatch; took: a reserved goroutine took the producer
	evDispatchFailed               // the executor refused the dispatched producer for good
	evStartDispatched              // the dispatched producer starts on an executor goroutine
	evStartHanded                  // the handed producer starts on a reserved goroutine
	evHandOff                      // the loop has a task that may block; took: a reserved goroutine took the producer
	evConsumed                     // the goroutine that consumed a task in EPC mode is done with it
	evNoTask                       // the producer has nothing more
)

var eventNames = [...]string{"Produce", "Dispatch", "DispatchFailed", "StartDispatched", "StartHanded", "HandOff", "Consumed", "NoTask"}

func (e event) String() string { return eventNames[e] }

// action is what the goroutine that applied an event does next.
type action uint8

const (
	actNone    action = iota // nothing: return, or go on as before
	actProduce               // run (or keep running) the production loop
	actExecute               // submit the dispatched producer to the executor
	actConsume               // production was handed over: consume the task here (EPC)
)

var actionNames = [...]string{"None", "Produce", "Execute", "Consume"}

func (a action) String() string { return actionNames[a] }

// errIllegal is returned for an event that cannot happen in the current
// state: it means a bug in the strategy.
var errIllegal = errors.New("illegal production transition")

// machine is the pure production state of a Strategy: no goroutines, no
// executor, so every interleaving of events can be explored directly.
type machine struct {
	state state
	// dispatched: a producer was submitted with Execute and has not started
	// (it may wait in the executor's queue).
	dispatched bool
	// handed: a producer was handed to a parked reserved goroutine, which is
	// running, and has not started.
	handed bool
}

// offers reports whether ev, in the current state, wants a producer handed
// to a reserved goroutine: the caller then tries one (without blocking)
// and passes the outcome to transition as took.
func (m *machine) offers(ev event) bool {
	switch ev {
	case evDispatch:
		return m.state == stateIdle && !m.handed && !m.dispatched
	case evHandOff:
		return m.state != stateIdle && !m.handed
	}
	return false
}

// transition applies ev and says what the caller does next. It is the only
// place the production state changes.
func (m *machine) transition(ev event, took bool) (action, error) {
	switch ev {
	case evStartDispatched:
		if !m.dispatched {
			return actNone, errIllegal
		}
		m.dispatched = false
		return m.produce(), nil

	case evStartHanded:
		if !m.handed {
			return actNone, errIllegal
		}
		m.handed = false
		return m.produce(), nil

	case evProduce:
		return m.produce(), nil

	case evDispatch:
		switch {
		case m.state != stateIdle:
			m.state = stateReproducing
		case m.handed || m.dispatched:
			// a producer is on its way and will ask the producer
		case took:
			m.handed = true
		default:
			m.dispatched = true
			return actExecute, nil
		}
		return actNone, nil

	case evDispatchFailed:
		if !m.dispatched {
			return actNone, errIllegal
		}
		m.dispatched = false
		return actNone, nil

	case evHandOff:
		if m.state == stateIdle {
			return actNone, errIllegal
		}
		if !m.handed && !took {
			return actNone, nil // PEC or PIC: keep producing
		}
		// The handed producer will ask the producer again, which also
		// answers a request for reproduction.
		m.handed = true
		m.state = stateIdle
		return actConsume, nil

	case evConsumed:
		if m.state == stateIdle {
			m.state = stateProducing // the handed producer has not started, or is done
			return actProduce, nil
		}
		return actNone, nil

	case evNoTask:
		switch m.state {
		case stateProducing:
			m.state = stateIdle
			return actNone, nil
		case stateReproducing:
			m.state = stateProducing
			return actProduce, nil
		}
		return actNone, errIllegal
	}
	return actNone, errIllegal
}

// produce is a goroutine offering to produce.
func (m *machine) produce() action {
	if m.state == stateIdle {
		m.state = stateProducing
		return actProduce
	}
	m.state = stateReproducing
	return actNone
}
