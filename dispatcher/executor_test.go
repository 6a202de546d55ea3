package dispatcher_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// wait waits for ch to be closed or wharftest.Patience to run out.
func wait(t testing.TB, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(wharftest.Patience):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// closeExecutor closes ex at the end of the test and fails it if ex does
// not stop in time.
func closeExecutor(t testing.TB, ex dispatcher.Executor) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
		defer cancel()
		if err := ex.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

func TestBoundedRunsEverything(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 4, QueueSize: -1})
	var n atomic.Int64
	var wg sync.WaitGroup
	task := dispatcher.Task{Run: func() { n.Add(1); wg.Done() }}
	for range 1000 {
		wg.Add(1)
		if err := ex.Execute(task); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := ex.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := ex.Stats()
	if n.Load() != 1000 || s.Tasks != 1000 {
		t.Fatalf("ran %d, Tasks %d", n.Load(), s.Tasks)
	}
	if s.BusyMax > 4 || s.BusyMax < 1 || s.MaxWorkers != 4 || s.Workers != 0 || s.Busy != 0 || s.Queued != 0 {
		t.Fatalf("stats after close: %+v", s)
	}
}

func TestBoundedGrowsToMaxThenQueues(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 4, QueueSize: 10})
	closeExecutor(t, ex)
	release := make(chan struct{})
	var done sync.WaitGroup
	for range 10 {
		done.Add(1)
		if err := ex.Execute(dispatcher.Task{Run: func() { <-release; done.Done() }}); err != nil {
			t.Fatal(err)
		}
	}
	wharftest.WaitFor(t, "4 busy workers, 6 queued", func() bool {
		s := ex.Stats()
		return s.Busy == 4 && s.Queued == 6
	})
	if s := ex.Stats(); s.Workers != 4 || s.QueuedMax < 6 {
		t.Fatalf("stats: %+v", s)
	}
	close(release)
	done.Wait()
	if s := ex.Stats(); s.BusyMax != 4 {
		t.Fatalf("BusyMax = %d, want 4", s.BusyMax)
	}
}

func TestBoundedRejectsWhenQueueFull(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, QueueSize: 2})
	closeExecutor(t, ex)
	release := make(chan struct{})
	block := dispatcher.Task{Run: func() { <-release }}
	if err := ex.Execute(block); err != nil {
		t.Fatal(err)
	}
	wharftest.WaitFor(t, "the worker busy", func() bool { return ex.Stats().Busy == 1 })
	for i := range 2 {
		if err := ex.Execute(block); err != nil {
			t.Fatalf("queueing task %d: %v", i, err)
		}
	}
	if err := ex.Execute(block); !errors.Is(err, dispatcher.ErrRejected) {
		t.Fatalf("Execute on a full queue: %v", err)
	}
	if ex.TryExecute(block) {
		t.Fatal("TryExecute succeeded with the only worker busy")
	}
	if s := ex.Stats(); s.Rejected != 1 || s.Queued != 2 {
		t.Fatalf("stats: %+v", s)
	}
	close(release)
}

// The unbounded queue spills past its channel and stays in order.
func TestBoundedUnboundedQueueKeepsOrder(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, QueueSize: -1})
	closeExecutor(t, ex)
	release := make(chan struct{})
	if err := ex.Execute(dispatcher.Task{Run: func() { <-release }}); err != nil {
		t.Fatal(err)
	}
	const n = 3000
	var got []int // one worker: no lock needed, Close publishes it
	for i := range n {
		if err := ex.Execute(dispatcher.Task{Run: func() { got = append(got, i) }}); err != nil {
			t.Fatal(err)
		}
	}
	if q := ex.Stats().Queued; q < n-1 {
		t.Fatalf("Queued = %d", q)
	}
	close(release)
	if err := ex.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("out of order or missing: %d tasks ran", len(got))
	}
}

func TestBoundedIdleWorkersExit(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 4, MinWorkers: 1, IdleTimeout: 10 * time.Millisecond})
	closeExecutor(t, ex)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		ex.Execute(dispatcher.Task{Run: func() { <-release; wg.Done() }})
	}
	wharftest.WaitFor(t, "4 workers", func() bool { return ex.Stats().Busy == 4 })
	close(release)
	wg.Wait()
	wharftest.WaitFor(t, "idle workers down to MinWorkers", func() bool { return ex.Stats().Workers == 1 })
	// The one left still works.
	done := make(chan struct{})
	ex.Execute(dispatcher.Task{Run: func() { close(done) }})
	wait(t, "a task after the pool shrank", done)
}

func TestBoundedTryExecute(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1})
	release := make(chan struct{})
	ran := make(chan struct{}, 3)
	block := dispatcher.Task{Run: func() { ran <- struct{}{}; <-release }}
	if !ex.TryExecute(block) {
		t.Fatal("TryExecute did not start the first worker")
	}
	<-ran
	if ex.TryExecute(block) {
		t.Fatal("TryExecute queued or exceeded MaxWorkers")
	}
	release <- struct{}{}
	// The worker goes idle: TryExecute hands it the next task directly.
	wharftest.WaitFor(t, "TryExecute to the idle worker", func() bool { return ex.TryExecute(block) })
	<-ran
	if s := ex.Stats(); s.Workers != 1 || s.Tasks != 1 || s.Queued != 0 {
		t.Fatalf("stats: %+v", s)
	}
	close(release)
	if err := ex.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ex.TryExecute(block) {
		t.Fatal("TryExecute after Close")
	}
}

func TestBoundedClose(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, QueueSize: 5})
	release := make(chan struct{})
	var ran atomic.Int64
	ex.Execute(dispatcher.Task{Run: func() { <-release; ran.Add(1) }})
	for range 3 {
		ex.Execute(dispatcher.Task{Run: func() { ran.Add(1) }})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := ex.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a task still running: %v", err)
	}
	if err := ex.Execute(dispatcher.Task{Run: func() {}}); !errors.Is(err, dispatcher.ErrExecutorClosed) {
		t.Fatalf("Execute after Close: %v", err)
	}
	close(release)
	if err := ex.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 4 {
		t.Fatalf("%d tasks ran, want the running one and the 3 queued", ran.Load())
	}
	if s := ex.Stats(); s.Workers != 0 {
		t.Fatalf("workers left: %+v", s)
	}
}

func TestBoundedCloseUnused(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{})
	if err := ex.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := ex.Stats(); s.MaxWorkers != 200 {
		t.Fatalf("default MaxWorkers = %d", s.MaxWorkers)
	}
}

func TestExecutorPanics(t *testing.T) {
	for _, tc := range executors() {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			ex := tc.make(slog.New(slog.NewTextHandler(&logs, nil)))
			closeExecutor(t, ex)
			ex.Execute(dispatcher.Task{Run: func() { panic("boom") }})
			done := make(chan struct{})
			ex.Execute(dispatcher.Task{Run: func() { close(done) }})
			wait(t, "a task after a panic", done)
			wharftest.WaitFor(t, "two tasks counted", func() bool { return ex.Stats().Tasks == 2 })
			if !strings.Contains(logs.String(), "boom") {
				t.Fatalf("panic not logged: %q", logs.String())
			}
			defer func() {
				if recover() == nil {
					t.Fatal("Execute of a nil Run did not panic")
				}
			}()
			ex.Execute(dispatcher.Task{})
		})
	}
}

// A task that ends its goroutine with runtime.Goexit (t.FailNow in a
// handler under test does) is counted out, and its worker's place is not
// lost: the next task runs, Busy goes back to zero and Close returns.
func TestExecutorTaskGoexit(t *testing.T) {
	for _, tc := range executors() {
		t.Run(tc.name, func(t *testing.T) {
			var ex dispatcher.Executor
			if tc.name == "bounded" { // one worker: the place a Goexit would lose
				ex = dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, MinWorkers: -1})
			} else {
				ex = tc.make(nil)
			}
			closeExecutor(t, ex)
			exited := make(chan struct{})
			if err := ex.Execute(dispatcher.Task{Run: func() { defer close(exited); runtime.Goexit() }}); err != nil {
				t.Fatal(err)
			}
			wait(t, "the task that calls Goexit", exited)
			done := make(chan struct{})
			if err := ex.Execute(dispatcher.Task{Run: func() { close(done) }}); err != nil {
				t.Fatal(err)
			}
			wait(t, "a task after a Goexit", done)
			wharftest.WaitFor(t, "both tasks counted out", func() bool {
				s := ex.Stats()
				return s.Tasks == 2 && s.Busy == 0
			})
		})
	}
}

func TestExecutorStatsTimes(t *testing.T) {
	for _, tc := range executors() {
		t.Run(tc.name, func(t *testing.T) {
			ex := tc.make(nil)
			done := make(chan struct{})
			ex.Execute(dispatcher.Task{Run: func() { time.Sleep(5 * time.Millisecond); close(done) }})
			<-done
			if err := ex.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			s := ex.Stats()
			if s.Tasks != 1 || s.TaskTimeMax < 5*time.Millisecond || s.TaskTimeAvg != s.TaskTimeMax ||
				s.QueueLatencyAvg != s.QueueLatencyMax || s.BusyMax != 1 {
				t.Fatalf("stats: %+v", s)
			}
			if !strings.Contains(s.String(), "tasks: 1\n") {
				t.Fatalf("report:\n%s", s)
			}
		})
	}
}

func TestUnboundedExecutor(t *testing.T) {
	ex := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{})
	release := make(chan struct{})
	var started sync.WaitGroup
	for range 50 {
		started.Add(1)
		if err := ex.Execute(dispatcher.Task{Run: func() { started.Done(); <-release }}); err != nil {
			t.Fatal(err)
		}
	}
	started.Wait()
	if s := ex.Stats(); s.Workers != 50 || s.Busy != 50 || s.BusyMax != 50 || s.MaxWorkers != 0 {
		t.Fatalf("stats: %+v", s)
	}
	if !ex.TryExecute(dispatcher.Task{Run: func() { <-release }}) {
		t.Fatal("TryExecute on an unbounded executor")
	}
	close(release)
	if err := ex.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := ex.Execute(dispatcher.Task{Run: func() {}}); !errors.Is(err, dispatcher.ErrExecutorClosed) {
		t.Fatalf("Execute after Close: %v", err)
	}
	if s := ex.Stats(); s.Tasks != 51 || s.Workers != 0 {
		t.Fatalf("stats: %+v", s)
	}
}

// TestExecutorCloseRace closes executors while goroutines submit: every
// accepted task runs, every refused one got ErrExecutorClosed, and no
// goroutine is left behind.
func TestExecutorCloseRace(t *testing.T) {
	for _, tc := range executors() {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 50 {
				ex := tc.make(nil)
				var accepted, ran atomic.Int64
				var wg sync.WaitGroup
				for range 4 {
					wg.Go(func() {
						for range 50 {
							if ex.Execute(dispatcher.Task{Run: func() { ran.Add(1) }}) == nil {
								accepted.Add(1)
							}
						}
					})
				}
				time.Sleep(time.Duration(i%3) * 50 * time.Microsecond)
				if err := ex.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				wg.Wait()
				if accepted.Load() != ran.Load() {
					t.Fatalf("accepted %d, ran %d", accepted.Load(), ran.Load())
				}
			}
		})
	}
}

type executorCase struct {
	name string
	make func(*slog.Logger) dispatcher.Executor
}

func executors() []executorCase {
	return []executorCase{
		{"bounded", func(l *slog.Logger) dispatcher.Executor {
			return dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 4, Logger: l})
		}},
		{"unbounded", func(l *slog.Logger) dispatcher.Executor {
			return dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{Logger: l})
		}},
	}
}

// syncBuffer is a bytes.Buffer for loggers written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestInvocationType(t *testing.T) {
	if api.InvocationTypeOf(nil) != api.Blocking || api.InvocationTypeOf(42) != api.Blocking {
		t.Fatal("undeclared values must be Blocking")
	}
	task := dispatcher.Task{Type: api.Either}
	if api.InvocationTypeOf(task) != api.Either {
		t.Fatal("a Task declares its type")
	}
	if got := dispatcher.TaskFor(task, func() {}).Type; got != api.Either {
		t.Fatalf("TaskFor = %v", got)
	}
	names := []string{api.Blocking.String(), api.NonBlocking.String(), api.Either.String(), api.InvocationType(9).String()}
	if strings.Join(names, " ") != "Blocking NonBlocking Either InvocationType(9)" {
		t.Fatalf("names: %v", names)
	}
}

// The unbounded executor keeps goroutines whose task is done for the next
// task, up to MaxIdle of them and for IdleTimeout; Close ends them.
func TestUnboundedReusesGoroutines(t *testing.T) {
	tests := []struct {
		name      string
		cfg       dispatcher.UnboundedConfig
		wantAfter int // goroutines right after tasks ran one at a time
	}{
		{"default", dispatcher.UnboundedConfig{}, 1},
		{"no idle", dispatcher.UnboundedConfig{MaxIdle: -1}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := dispatcher.NewUnboundedExecutor(tc.cfg)
				for range 100 {
					done := make(chan struct{})
					if err := e.Execute(dispatcher.Task{Run: func() { close(done) }}); err != nil {
						t.Fatal(err)
					}
					<-done
					synctest.Wait()
				}
				st := e.Stats()
				if st.Workers != tc.wantAfter || st.Busy != 0 || st.Tasks != 100 {
					t.Fatalf("after 100 tasks one at a time: %+v, want %d goroutines", st, tc.wantAfter)
				}
				time.Sleep(dispatcher.DefaultIdleTimeout + time.Second)
				synctest.Wait()
				if st := e.Stats(); st.Workers != 0 {
					t.Fatalf("after the idle timeout: %d goroutines, want 0", st.Workers)
				}
				if err := e.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// idleWorkers fails t unless e, once every goroutine of the bubble waits,
// has want workers and none busy.
func idleWorkers(t *testing.T, e dispatcher.Executor, when string, want int) {
	t.Helper()
	synctest.Wait()
	if st := e.Stats(); st.Workers != want || st.Busy != 0 {
		t.Fatalf("%s: %d workers (busy %d), want %d idle", when, st.Workers, st.Busy, want)
	}
}

// An idle worker leaves IdleTimeout after its last task, however long ago
// it first turned idle: tasks every 6 s keep it (its timer, armed at its
// first idle spell, fires early and is moved), and it leaves 10 s after
// the last one. The bounded executor's worker is one above MinWorkers.
func TestIdleTimeoutFromLastTask(t *testing.T) {
	for _, tt := range []struct {
		name string
		ex   func() dispatcher.Executor
	}{
		{"unbounded", func() dispatcher.Executor {
			return dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{IdleTimeout: 10 * time.Second})
		}},
		{"bounded", func() dispatcher.Executor {
			return dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, MinWorkers: -1, IdleTimeout: 10 * time.Second})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := tt.ex()
				defer e.Close(context.Background())
				workersAt := func(when string, want int) { t.Helper(); idleWorkers(t, e, when, want) }
				for i := range 4 { // at 0, 6, 12 and 18 s
					if i > 0 {
						time.Sleep(5 * time.Second)
						workersAt("5 s after a task", 1)
						time.Sleep(time.Second)
					}
					if err := e.Execute(dispatcher.Task{Run: func() {}}); err != nil {
						t.Fatal(err)
					}
					workersAt("after a task", 1)
				}
				time.Sleep(9 * time.Second)
				workersAt("9 s after the last task", 1)
				time.Sleep(2 * time.Second)
				workersAt("11 s after the last task", 0)
				if st := e.Stats(); st.Tasks != 4 {
					t.Fatalf("%d tasks", st.Tasks)
				}
			})
		})
	}
}

// With a MaxIdle above it, a burst leaves as many goroutines waiting as it
// ran at once, and they leave in the order they turned idle, IdleTimeout
// (10 s) after: the one that keeps getting tasks (the top of the idle
// stack) stays until IdleTimeout after its last one.
func TestUnboundedIdleFollowsLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{MaxIdle: 100})
		defer e.Close(context.Background())
		workersAt := func(when string, want int) { t.Helper(); idleWorkers(t, e, when, want) }
		start := time.Now()
		release := make(chan struct{})
		for range 50 {
			if err := e.Execute(dispatcher.Task{Run: func() { <-release }}); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		// The first wave turns idle at 1 s, a second one at 3 s.
		time.Sleep(time.Second)
		release2 := make(chan struct{})
		for range 20 {
			if err := e.Execute(dispatcher.Task{Run: func() { <-release2 }}); err != nil {
				t.Fatal(err)
			}
		}
		close(release)
		synctest.Wait()
		if st := e.Stats(); st.Workers != 70 || st.Busy != 20 {
			t.Fatalf("first wave done, second running: %+v", st)
		}
		time.Sleep(2 * time.Second) // t = 3 s
		close(release2)
		workersAt("after the burst", 70)
		for at := 4; at <= 10; at += 3 { // one task at a time at 4, 7 and 10 s: the same goroutine
			time.Sleep(time.Duration(at)*time.Second - time.Since(start))
			if err := e.Execute(dispatcher.Task{Run: func() {}}); err != nil {
				t.Fatal(err)
			}
			workersAt("a task on an idle goroutine", 70)
		}
		time.Sleep(11*time.Second - time.Millisecond - time.Since(start))
		workersAt("just before the first wave's timeout", 70)
		time.Sleep(2 * time.Millisecond)
		workersAt("after the first wave's timeout", 20)
		time.Sleep(13*time.Second + time.Millisecond - time.Since(start))
		workersAt("after the second wave's timeout but for the goroutine in use", 1)
		time.Sleep(20*time.Second - time.Millisecond - time.Since(start))
		workersAt("just before the timeout of the last task", 1)
		time.Sleep(2 * time.Millisecond)
		workersAt("after the timeout of the last task", 0)
		if st := e.Stats(); st.Tasks != 73 {
			t.Fatalf("%d tasks", st.Tasks)
		}
	})
}

// Goroutines turning idle, being reaped, taking tasks and closing race
// without losing a task or a goroutine (run with -race; goleak checks the
// end).
func TestUnboundedReapRaces(t *testing.T) {
	e := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{IdleTimeout: 50 * time.Microsecond})
	var ran atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 500 {
				if err := e.Execute(dispatcher.Task{Run: func() { ran.Add(1) }}); err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					time.Sleep(100 * time.Microsecond) // let the reaper end some
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
	defer cancel()
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := e.Stats(); ran.Load() != 8*500 || st.Workers != 0 || st.Tasks != 8*500 {
		t.Fatalf("ran %d tasks; after Close: %+v", ran.Load(), st)
	}
}

// At most MaxIdle goroutines stay once SurplusIdleTimeout has passed (at
// once without a surplus); Close ends the idle ones at once.
func TestUnboundedMaxIdleAndClose(t *testing.T) {
	tests := []struct {
		name    string
		surplus time.Duration
		// atOnce are the goroutines right after the tasks finished;
		// gone is when the surplus has left.
		atOnce int
		gone   time.Duration
	}{
		{"default surplus", 0, 10, dispatcher.DefaultSurplusIdleTimeout},
		{"surplus 3 s", 3 * time.Second, 10, 3 * time.Second},
		{"no surplus", -1, 3, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{MaxIdle: 3, SurplusIdleTimeout: tc.surplus})
				release := make(chan struct{})
				for range 10 {
					e.Execute(dispatcher.Task{Run: func() { <-release }})
				}
				synctest.Wait()
				if st := e.Stats(); st.Workers != 10 || st.Busy != 10 {
					t.Fatalf("10 blocked tasks: %+v", st)
				}
				close(release)
				idleWorkers(t, e, "after they finished", tc.atOnce)
				if tc.gone > 0 {
					time.Sleep(tc.gone - time.Millisecond)
					idleWorkers(t, e, "just before the surplus timeout", tc.atOnce)
					time.Sleep(2 * time.Millisecond)
				}
				idleWorkers(t, e, "after the surplus timeout", 3)
				if err := e.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if st := e.Stats(); st.Workers != 0 {
					t.Fatalf("after Close: %d goroutines", st.Workers)
				}
				if e.TryExecute(dispatcher.Task{Run: func() {}}) {
					t.Fatal("TryExecute after Close")
				}
			})
		})
	}
}

// A steady flow of blocking tasks, many at once, runs on the goroutines
// the tasks before it left, MaxIdle or not: waves of 10 tasks, each
// coming half a SurplusIdleTimeout after the one before finished, start
// no goroutine after the first wave; without a surplus, each wave starts
// 7 (MaxIdle is 3).
func TestUnboundedSurplusFollowsFlow(t *testing.T) {
	for _, tc := range []struct {
		name      string
		surplus   time.Duration
		wantAfter int // goroutines as the next wave comes
	}{
		{"surplus", 0, 10},
		{"no surplus", -1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{MaxIdle: 3, SurplusIdleTimeout: tc.surplus})
				defer e.Close(context.Background())
				for wave := range 5 {
					release := make(chan struct{})
					for range 10 {
						if err := e.Execute(dispatcher.Task{Run: func() { <-release }}); err != nil {
							t.Fatal(err)
						}
					}
					synctest.Wait()
					if st := e.Stats(); st.Workers != 10 {
						t.Fatalf("wave %d: %d goroutines, want 10", wave, st.Workers)
					}
					time.Sleep(100 * time.Millisecond)
					close(release)
					time.Sleep(dispatcher.DefaultSurplusIdleTimeout / 2)
					idleWorkers(t, e, "as the next wave comes", tc.wantAfter)
				}
				time.Sleep(dispatcher.DefaultSurplusIdleTimeout)
				idleWorkers(t, e, "once the flow stopped", 3)
			})
		})
	}
}
