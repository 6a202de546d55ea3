package dispatcher_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// queueProducer hands out the tasks added to it, and notes if two
// goroutines ever ask it at once.
type queueProducer struct {
	mu      sync.Mutex
	tasks   []dispatcher.Task
	inside  atomic.Int32
	overlap atomic.Bool
}

func (p *queueProducer) Produce() (dispatcher.Task, bool) {
	if p.inside.Add(1) != 1 {
		p.overlap.Store(true)
	}
	defer p.inside.Add(-1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.tasks) == 0 {
		return dispatcher.Task{}, false
	}
	t := p.tasks[0]
	p.tasks = p.tasks[1:]
	return t, true
}

func (p *queueProducer) add(ts ...dispatcher.Task) {
	p.mu.Lock()
	p.tasks = append(p.tasks, ts...)
	p.mu.Unlock()
}

// newStrategy returns a strategy on a bounded executor, both closed when
// the test ends; with reserved goroutines it waits until one is parked, so
// that the first hand-off is deterministic.
func newStrategy(t *testing.T, p dispatcher.Producer, cfg dispatcher.StrategyConfig) (*dispatcher.Strategy, *dispatcher.BoundedExecutor) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 8, QueueSize: -1})
	closeExecutor(t, ex) // runs after s.Close: cleanups run last-in first-out
	s := dispatcher.NewStrategy(p, ex, cfg)
	t.Cleanup(s.Close)
	if cfg.Reserved >= 0 {
		wharftest.WaitFor(t, "a parked reserved goroutine", func() bool {
			return s.Stats().Reserved > 0 && reservedInSelect()
		})
	}
	return s, ex
}

// reservedInSelect reports whether a reserved goroutine waits in its
// select. A reserved goroutine counts itself parked just before it gets
// there, and a hand-off (a send that never waits) finds it only once it
// is there: a test that produced in between saw PEC where it wanted EPC.
// Only the goroutine's state says it has arrived.
func reservedInSelect() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte(" [select")) && bytes.Contains(g, []byte("dispatcher.(*reserved).loop")) {
			return true
		}
	}
	return false
}

func TestProduceConsume(t *testing.T) {
	p := &queueProducer{}
	s, _ := newStrategy(t, p, dispatcher.StrategyConfig{})
	var order []int
	for i := range 3 {
		p.add(dispatcher.Task{Type: api.NonBlocking, Run: func() { order = append(order, i) }})
	}
	s.Produce()
	if !slices.Equal(order, []int{0, 1, 2}) {
		t.Fatalf("NonBlocking tasks ran %v before Produce returned, want in order on the caller", order)
	}
	if st := s.Stats(); st.PC != 3 || st.EPC+st.PEC+st.PIC != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestProduceExecuteConsume(t *testing.T) {
	p := &queueProducer{}
	s, ex := newStrategy(t, p, dispatcher.StrategyConfig{Reserved: -1})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		p.add(dispatcher.Task{Run: wg.Done})
	}
	s.Produce()
	wg.Wait()
	if st := s.Stats(); st.PEC != 3 || st.EPC+st.PC+st.PIC != 0 || st.ReservedLimit != 0 {
		t.Fatalf("stats: %+v", st)
	}
	wharftest.WaitFor(t, "3 tasks on the executor", func() bool { return ex.Stats().Tasks == 3 })
}

// In EPC mode the producing goroutine consumes the blocking task and the
// reserved goroutine produces the rest meanwhile.
func TestExecuteProduceConsume(t *testing.T) {
	p := &queueProducer{}
	s, _ := newStrategy(t, p, dispatcher.StrategyConfig{Reserved: 1})
	release, nbRan, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	p.add(
		dispatcher.Task{Type: api.Blocking, Run: func() { <-release }},
		dispatcher.Task{Type: api.NonBlocking, Run: func() { close(nbRan) }},
	)
	go func() {
		s.Produce()
		close(returned)
	}()
	wait(t, "the next task, produced by the reserved goroutine", nbRan)
	select {
	case <-returned:
		t.Fatal("Produce returned while its goroutine should be running the blocking task")
	default:
	}
	close(release)
	wait(t, "Produce to return", returned)
	if st := s.Stats(); st.EPC != 1 || st.PC != 1 || st.PEC+st.PIC != 0 || st.ReservedLimit != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestEither(t *testing.T) {
	t.Run("no reserved: PIC, non-blocking form", func(t *testing.T) {
		p := &queueProducer{}
		s, _ := newStrategy(t, p, dispatcher.StrategyConfig{Reserved: -1})
		var got []string
		p.add(
			dispatcher.Task{Type: api.Either, Run: func() { got = append(got, "run") }, RunNonBlocking: func() { got = append(got, "nb") }},
			dispatcher.Task{Type: api.Either, Run: func() { got = append(got, "run-only") }},
		)
		s.Produce()
		if !slices.Equal(got, []string{"nb", "run-only"}) {
			t.Fatalf("ran %v", got)
		}
		if st := s.Stats(); st.PIC != 2 || st.PC+st.PEC+st.EPC != 0 {
			t.Fatalf("stats: %+v", st)
		}
	})
	t.Run("reserved: EPC, blocking form", func(t *testing.T) {
		p := &queueProducer{}
		s, _ := newStrategy(t, p, dispatcher.StrategyConfig{Reserved: 1})
		var got string
		p.add(dispatcher.Task{Type: api.Either, Run: func() { got = "run" }, RunNonBlocking: func() { got = "nb" }})
		s.Produce()
		if st := s.Stats(); got != "run" || st.EPC != 1 || st.PIC+st.PC+st.PEC != 0 {
			t.Fatalf("ran %q, stats %+v", got, st)
		}
	})
}

func TestProduceNonBlocking(t *testing.T) {
	p := &queueProducer{}
	s, _ := newStrategy(t, p, dispatcher.StrategyConfig{Reserved: 1})
	var wg sync.WaitGroup
	wg.Add(1)
	var either string
	p.add(
		dispatcher.Task{Type: api.Blocking, Run: wg.Done},
		dispatcher.Task{Type: api.Either, Run: func() { either = "run" }, RunNonBlocking: func() { either = "nb" }},
		dispatcher.Task{Type: api.NonBlocking, Run: func() {}},
	)
	s.ProduceNonBlocking()
	wg.Wait()
	if st := s.Stats(); either != "nb" || st.PEC != 1 || st.PIC != 1 || st.PC != 1 || st.EPC != 0 {
		t.Fatalf("either ran %q, stats %+v", either, st)
	}
}

func TestDispatch(t *testing.T) {
	for _, reserved := range []int{-1, 0} {
		p := &queueProducer{}
		s, _ := newStrategy(t, p, dispatcher.StrategyConfig{Reserved: reserved})
		done := make(chan struct{})
		p.add(dispatcher.Task{Type: api.NonBlocking, Run: func() { close(done) }})
		s.Dispatch()
		wait(t, "dispatched production", done)
	}
}

func TestClose(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 4})
	p := &queueProducer{}
	// Reserved goroutines that never time out: only Close ends them, and
	// the executor's Close waits for them.
	s := dispatcher.NewStrategy(p, ex, dispatcher.StrategyConfig{Reserved: 2, ReservedIdle: -1})
	wharftest.WaitFor(t, "a parked reserved goroutine", func() bool { return s.Stats().Reserved == 1 })
	s.Close()
	s.Close()
	ran := make(chan struct{})
	p.add(dispatcher.Task{Type: api.NonBlocking, Run: func() { close(ran) }})
	s.Dispatch()
	select {
	case <-ran:
		t.Fatal("Dispatch after Close produced")
	case <-time.After(10 * time.Millisecond):
	}
	s.Produce() // still produces on its caller
	wait(t, "Produce after Close", ran)
	ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
	defer cancel()
	if err := ex.Close(ctx); err != nil {
		t.Fatalf("the reserved goroutines outlived the strategy's Close: %v", err)
	}
	if st := s.Stats(); st.Reserved != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestReservedSizing(t *testing.T) {
	unbounded := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{})
	small := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 4})
	big := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1000})
	for _, ex := range []dispatcher.Executor{unbounded, small, big} {
		closeExecutor(t, ex)
	}
	tests := []struct {
		ex    dispatcher.Executor
		cfg   dispatcher.StrategyConfig
		limit int
	}{
		{unbounded, dispatcher.StrategyConfig{}, runtime.GOMAXPROCS(0)},
		{small, dispatcher.StrategyConfig{}, 1},
		{big, dispatcher.StrategyConfig{}, min(runtime.GOMAXPROCS(0), 125)},
		{small, dispatcher.StrategyConfig{Reserved: 3}, 3},
		{small, dispatcher.StrategyConfig{Reserved: -1}, 0},
	}
	for _, tt := range tests {
		s := dispatcher.NewStrategy(&queueProducer{}, tt.ex, tt.cfg)
		if got := s.Stats().ReservedLimit; got != tt.limit {
			t.Errorf("%+v: limit %d, want %d", tt.cfg, got, tt.limit)
		}
		s.Close()
	}
}

// produceBlocking has s produce n Blocking tasks that wait until all n
// were produced, and returns once they ran and Produce returned.
func produceBlocking(t *testing.T, s *dispatcher.Strategy, p *queueProducer, n int) {
	t.Helper()
	release := make(chan struct{})
	var ran atomic.Int64
	for range n {
		p.add(dispatcher.Task{Run: func() { <-release; ran.Add(1) }})
	}
	returned := make(chan struct{})
	go func() { s.Produce(); close(returned) }()
	wharftest.WaitFor(t, "every task produced", func() bool {
		st := s.Stats()
		return st.EPC+st.PEC == uint64(n)
	})
	close(release)
	// A task queued behind a reservation that holds the last worker never
	// runs: this fails rather than hangs.
	wharftest.WaitFor(t, "every task to run", func() bool { return ran.Load() == int64(n) })
	wait(t, "Produce to return", returned)
}

// A hand-off that finds nobody parked starts one more reserved goroutine,
// up to the limit.
func TestReservedGrows(t *testing.T) {
	p := &queueProducer{}
	s, _ := newStrategy(t, p, dispatcher.StrategyConfig{Reserved: 3, ReservedIdle: -1})
	// The first hand-off uses the parked one; the reserved goroutine then
	// producing finds none parked for the next task and starts another.
	produceBlocking(t, s, p, 6)
	wharftest.WaitFor(t, "two reserved goroutines parked", func() bool { return s.Stats().Reserved >= 2 })
	if st := s.Stats(); st.ReservedMax > 3 || st.EPC < 1 {
		t.Fatalf("stats: %+v", st)
	}
}

// The adaptive reservation takes at most an eighth of a bounded
// executor's workers, at least one; no reservation takes its last: with
// one worker, a reserved goroutine parked for ReservedIdle would hold back
// every task queued behind it.
func TestReservedLimit(t *testing.T) {
	tests := []struct {
		maxWorkers int
		reserved   int // cfg.Reserved
		want       int // reserved goroutines parked after a burst of hand-offs
	}{
		{maxWorkers: 1, want: 0},
		{maxWorkers: 2, want: 1},
		{maxWorkers: 15, want: 1},
		{maxWorkers: 16, want: min(2, runtime.GOMAXPROCS(0))},
		{maxWorkers: 1, reserved: 1, want: 0},
		{maxWorkers: 4, reserved: 8, want: 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max %d reserved %d", tt.maxWorkers, tt.reserved), func(t *testing.T) {
			ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: tt.maxWorkers, MinWorkers: -1})
			closeExecutor(t, ex)
			p := &queueProducer{}
			s := dispatcher.NewStrategy(p, ex, dispatcher.StrategyConfig{Reserved: tt.reserved, ReservedIdle: -1})
			t.Cleanup(s.Close)
			// Each Blocking task handed off while none is parked asks for
			// one more, up to the limit.
			produceBlocking(t, s, p, 4)
			if got := s.Stats().ReservedLimit; got != tt.want {
				t.Fatalf("limit %d, want %d", got, tt.want)
			}
			wharftest.WaitFor(t, "the reservation to fill", func() bool { return s.Stats().Reserved == tt.want })
			if got := s.Stats().ReservedMax; got != tt.want {
				t.Fatalf("%d reserved goroutines at most, want %d", got, tt.want)
			}
		})
	}
}

// Strategies sharing an executor (a server's selectors) split its
// workers so that together they never reserve its last one either.
func TestSharedReserved(t *testing.T) {
	g := runtime.GOMAXPROCS(0)
	tests := []struct {
		maxWorkers, n int // maxWorkers 0: an UnboundedExecutor
		want          []int
	}{
		{0, 2, []int{0, 0}},
		{1, 1, []int{-1}},
		{2, 1, []int{1}},
		{2, 2, []int{1, -1}},
		{3, 4, []int{1, 1, -1, -1}},
		{8, 8, []int{1, 1, 1, 1, 1, 1, 1, -1}},
		{1000, 2, []int{min(g, 125), min(g, 125)}},
	}
	for _, tt := range tests {
		var ex dispatcher.Executor = dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{})
		if tt.maxWorkers > 0 {
			ex = dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: tt.maxWorkers})
		}
		closeExecutor(t, ex)
		if got := dispatcher.SharedReserved(ex, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("%d workers, %d strategies: %v, want %v", tt.maxWorkers, tt.n, got, tt.want)
		}
	}

	// Two strategies on two workers: one reserves, the other worker runs
	// what is queued.
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 2, MinWorkers: -1})
	closeExecutor(t, ex)
	for _, r := range dispatcher.SharedReserved(ex, 2) {
		s := dispatcher.NewStrategy(&queueProducer{}, ex, dispatcher.StrategyConfig{Reserved: r, ReservedIdle: -1})
		t.Cleanup(s.Close)
	}
	ran := make(chan struct{})
	if err := ex.Execute(dispatcher.Task{Run: func() { close(ran) }}); err != nil {
		t.Fatal(err)
	}
	wait(t, "a task beside the reservations", ran)
}

// Reserved goroutines left idle exit, giving their workers back.
func TestReservedShrinks(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 8})
	closeExecutor(t, ex)
	s := dispatcher.NewStrategy(&queueProducer{}, ex, dispatcher.StrategyConfig{Reserved: 3, ReservedIdle: 5 * time.Millisecond})
	t.Cleanup(s.Close)
	wharftest.WaitFor(t, "a reserved goroutine parked", func() bool { return s.Stats().ReservedMax == 1 })
	wharftest.WaitFor(t, "idle reserved goroutines to exit", func() bool { return s.Stats().Reserved == 0 })
	wharftest.WaitFor(t, "their workers to be idle", func() bool { return ex.Stats().Busy == 0 })
}

func TestRejected(t *testing.T) {
	type rejection struct {
		err error
	}
	setup := func(t *testing.T, cfg dispatcher.StrategyConfig) (*dispatcher.Strategy, *queueProducer, chan struct{}) {
		ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, QueueSize: 1})
		closeExecutor(t, ex)
		p := &queueProducer{}
		s := dispatcher.NewStrategy(p, ex, cfg)
		t.Cleanup(s.Close)
		return s, p, make(chan struct{})
	}
	t.Run("hook", func(t *testing.T) {
		var mu sync.Mutex
		var got []rejection
		s, p, release := setup(t, dispatcher.StrategyConfig{Reserved: -1, Rejected: func(_ dispatcher.Task, err error) {
			mu.Lock()
			got = append(got, rejection{err})
			mu.Unlock()
		}})
		var ran atomic.Int64
		for range 3 {
			p.add(dispatcher.Task{Run: func() { <-release; ran.Add(1) }})
		}
		s.Produce()
		close(release)
		mu.Lock()
		n := len(got)
		for _, r := range got {
			if !errors.Is(r.err, dispatcher.ErrRejected) {
				t.Errorf("rejected with %v", r.err)
			}
		}
		mu.Unlock()
		if n == 0 || s.Stats().Rejected != uint64(n) {
			t.Fatalf("%d rejections, stats %+v", n, s.Stats())
		}
		wharftest.WaitFor(t, "the accepted tasks", func() bool { return ran.Load() == int64(3-n) })
	})
	t.Run("default runs them anyway", func(t *testing.T) {
		s, p, release := setup(t, dispatcher.StrategyConfig{Reserved: -1})
		var ran sync.WaitGroup
		for range 3 {
			ran.Add(1)
			p.add(dispatcher.Task{Run: func() { <-release; ran.Done() }})
		}
		s.Produce()
		close(release)
		ran.Wait()
		if s.Stats().Rejected == 0 {
			t.Fatal("the queue never filled")
		}
	})
	t.Run("closed executor", func(t *testing.T) {
		var logs syncBuffer
		var hookErr error
		for _, hook := range []bool{false, true} {
			ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{})
			ex.Close(context.Background())
			cfg := dispatcher.StrategyConfig{Reserved: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			if hook {
				cfg.Rejected = func(_ dispatcher.Task, err error) { hookErr = err }
			}
			p := &queueProducer{}
			s := dispatcher.NewStrategy(p, ex, cfg)
			p.add(dispatcher.Task{Run: func() { t.Error("a task ran on a closed executor") }})
			s.Produce()
			s.Dispatch() // logged, nothing else
		}
		if !errors.Is(hookErr, dispatcher.ErrExecutorClosed) {
			t.Fatalf("hook got %v", hookErr)
		}
		if l := logs.String(); !strings.Contains(l, "task dropped") || !strings.Contains(l, "not dispatched") {
			t.Fatalf("logs: %s", l)
		}
	})
}

func TestPanics(t *testing.T) {
	var logs syncBuffer
	var calls atomic.Int64
	var ran []string
	p := dispatcher.ProducerFunc(func() (dispatcher.Task, bool) {
		switch calls.Add(1) {
		case 1:
			panic("producer boom")
		case 2:
			return dispatcher.Task{Type: api.NonBlocking, Run: func() { panic("task boom") }}, true
		case 3:
			return dispatcher.Task{Type: api.NonBlocking}, true // nil Run: skipped
		case 4:
			return dispatcher.Task{Type: api.NonBlocking, Run: func() { ran = append(ran, "after") }}, true
		}
		return dispatcher.Task{}, false
	})
	s, _ := newStrategy(t, p, dispatcher.StrategyConfig{Reserved: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.Produce() // the producer panics: production stops, the strategy is idle again
	s.Produce()
	if !slices.Equal(ran, []string{"after"}) {
		t.Fatalf("ran %v", ran)
	}
	for _, want := range []string{"producer boom", "task boom", "nil Run"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("%q not logged:\n%s", want, logs.String())
		}
	}
}

// TestProduceDispatchStorm races goroutines that add work and call
// Produce, ProduceNonBlocking or Dispatch: all work is produced and run,
// and the producer is never asked by two goroutines at once.
func TestProduceDispatchStorm(t *testing.T) {
	iterations := 500
	if testing.Short() {
		iterations = 50
	}
	for i := range iterations {
		ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 8, QueueSize: -1})
		p := &queueProducer{}
		s := dispatcher.NewStrategy(p, ex, dispatcher.StrategyConfig{Reserved: []int{-1, 0, 3}[i%3]})
		const adders, each = 4, 25
		var ran atomic.Int64
		all := make(chan struct{})
		var wg sync.WaitGroup
		for a := range adders {
			wg.Go(func() {
				for j := range each {
					typ := api.InvocationType((a + j) % 3)
					p.add(dispatcher.Task{Type: typ, Run: func() {
						if typ == api.Blocking {
							runtime.Gosched() // let the others race
						}
						if ran.Add(1) == adders*each {
							close(all)
						}
					}})
					switch (a + j + i) % 3 {
					case 0:
						s.Produce()
					case 1:
						s.Dispatch()
					case 2:
						s.ProduceNonBlocking()
					}
				}
			})
		}
		wait(t, "all work produced and run", all)
		wg.Wait()
		if p.overlap.Load() {
			t.Fatal("two goroutines produced at once")
		}
		s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
		if err := ex.Close(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
}

// TestNoStarvation is the scenario that deadlocked naive "eat what you
// kill": every worker ends up in a task that blocks until an event, and
// only a task produced after them delivers the event. Production must
// never wait for a worker, so that task is produced and run (PC), and
// everything completes. It is a liveness check with a generous timeout.
func TestNoStarvation(t *testing.T) {
	const n = 4
	bounded := func(queue int) func() dispatcher.Executor {
		return func() dispatcher.Executor {
			return dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: n, QueueSize: queue})
		}
	}
	unbounded := func() dispatcher.Executor { return dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{}) }
	dispatch := func(s *dispatcher.Strategy) <-chan struct{} {
		s.Dispatch()
		done := make(chan struct{})
		close(done)
		return done
	}
	on := func(produce func(s *dispatcher.Strategy)) func(s *dispatcher.Strategy) <-chan struct{} {
		return func(s *dispatcher.Strategy) <-chan struct{} {
			done := make(chan struct{})
			go func() { produce(s); close(done) }()
			return done
		}
	}
	produce := on((*dispatcher.Strategy).Produce)
	eventLoop := on((*dispatcher.Strategy).ProduceNonBlocking)

	tests := []struct {
		name  string
		ex    func() dispatcher.Executor
		cfg   dispatcher.StrategyConfig
		start func(*dispatcher.Strategy) <-chan struct{}
		full  bool // the queue overflows: some tasks are rejected
	}{
		{"dispatch", bounded(-1), dispatcher.StrategyConfig{}, dispatch, false},
		{"produce", bounded(-1), dispatcher.StrategyConfig{}, produce, false},
		{"event loop", bounded(-1), dispatcher.StrategyConfig{}, eventLoop, false},
		{"reserved may take every worker", bounded(-1), dispatcher.StrategyConfig{Reserved: n}, dispatch, false},
		{"no reserved", bounded(-1), dispatcher.StrategyConfig{Reserved: -1}, dispatch, false},
		{"queue full, dispatch", bounded(1), dispatcher.StrategyConfig{}, dispatch, true},
		{"queue full, produce", bounded(1), dispatcher.StrategyConfig{}, produce, true},
		{"queue full, event loop", bounded(1), dispatcher.StrategyConfig{}, eventLoop, true},
		{"queue full, no reserved", bounded(1), dispatcher.StrategyConfig{Reserved: -1}, dispatch, true},
		{"unbounded executor", unbounded, dispatcher.StrategyConfig{}, dispatch, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := tt.ex()
			closeExecutor(t, ex)
			event := make(chan struct{})
			all := make(chan struct{})
			const total = n + 3
			var completed atomic.Int64
			finish := func() {
				if completed.Add(1) == total {
					close(all)
				}
			}
			var tasks []dispatcher.Task
			for range n + 2 {
				tasks = append(tasks, dispatcher.Task{Type: api.Blocking, Run: func() { <-event; finish() }})
			}
			tasks = append(tasks, dispatcher.Task{Type: api.NonBlocking, Run: func() { close(event); finish() }})
			next := 0 // the strategy serializes Produce; -race checks its happens-before edges
			s := dispatcher.NewStrategy(dispatcher.ProducerFunc(func() (dispatcher.Task, bool) {
				if next == len(tasks) {
					return dispatcher.Task{}, false
				}
				next++
				return tasks[next-1], true
			}), ex, tt.cfg)
			returned := tt.start(s)
			wait(t, "every task, the blocked ones included", all)
			wait(t, "the production call to return", returned)
			s.Close()
			st, es := s.Stats(), ex.Stats()
			if tt.full && (st.Rejected == 0 || es.Rejected == 0) {
				t.Fatalf("the queue never filled: %+v %+v", st, es)
			}
			t.Logf("%+v", st)
		})
	}
}
