package dispatcher

import (
	"log/slog"
	"runtime/debug"

	"github.com/wharf-go/wharf/api"
)

// Task is a unit of work with its invocation type. It is a small value:
// returning it from a Producer or passing it to an Executor allocates
// nothing.
type Task struct {
	// Run does the work. It must not be nil.
	Run func()
	// Type says whether Run may block. The zero value is api.Blocking.
	Type api.InvocationType
	// RunNonBlocking is how an api.Either task runs when the goroutine
	// running it must not block (a Strategy's PIC mode, see Strategy). It
	// must not block. Nil means Run, which must then not block either when
	// invoked that way. Go has no goroutine-local state to tell Run how it
	// was invoked, so a task that drives another Strategy says it here:
	// Task{Run: inner.Produce, RunNonBlocking: inner.ProduceNonBlocking,
	// Type: api.Either}. It is ignored for other types.
	RunNonBlocking func()
}

// InvocationType returns t.Type, so a Task is an api.Invoker.
func (t Task) InvocationType() api.InvocationType { return t.Type }

// TaskFor returns a Task that runs run with the invocation type v declares
// (api.InvocationTypeOf), typically the handler run will call: a handler
// that declares nothing gives a Blocking task.
func TaskFor(v any, run func()) Task {
	return Task{Run: run, Type: api.InvocationTypeOf(v)}
}

// Producer produces tasks for a Strategy. Produce returns ok=false when it
// has nothing more right now; when it has more later, whoever gave it the
// work calls Strategy.Produce or Strategy.Dispatch. The Strategy calls
// Produce from one goroutine at a time (not always the same one).
type Producer interface {
	Produce() (t Task, ok bool)
}

// ProducerFunc adapts a function to a Producer.
type ProducerFunc func() (Task, bool)

// Produce calls f.
func (f ProducerFunc) Produce() (Task, bool) { return f() }

// logger returns l, or slog.Default() when l is nil.
func logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}

// safely calls f and logs a panic instead of letting it kill the process
// or, worse, leave a pool or a strategy in a state nobody will ever leave.
// It reports whether f returned normally.
func safely(l *slog.Logger, what string, f func()) (ok bool) {
	defer func() {
		if ok {
			return
		}
		if r := recover(); r != nil { // nil: runtime.Goexit, let it go on
			logger(l).Error("dispatcher: panic in "+what, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	f()
	return true
}
