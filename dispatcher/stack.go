package dispatcher

import (
	"log/slog"
	"sync/atomic"
	"unsafe"
)

// taskStack is the stack, in bytes, a worker makes room for before each
// task of an executor whose tasks are deep (stackGauge): with the frames
// above it, a goroutine whose stack is 2 KiB grows to 4 KiB there, and one
// with 4 KiB or more does not grow.
const taskStack = 1536

// reserve is reserveStack, and a test's count of it.
var reserve = reserveStack

// reserveStack grows the calling goroutine's stack, while it is shallow,
// to what a task will need.
//
// A goroutine starts with a 2 KiB stack (or the runtime's running average
// of stack sizes) and grows it by copying the whole stack to one twice the
// size, adjusting every frame's pointers: the copy costs in proportion to
// the frames on the stack. A request's way from a worker's start to the
// socket write needs more than 2 KiB and fits in 4 KiB (the container's
// share is held to 1.5 KiB by its TestResponseStackDepth), so a handler on
// a new goroutine would pay the copy on the way, under a dozen frames:
// callgrind counted about 17,600 instructions a copy (more than a whole
// plaintext request), against about 3,500 for the same copy made here
// with two frames on the stack. A goroutine whose stack is already large
// enough pays a call and the zeroing of the frame, once (see
// stackGauge.run). A task that goes
// deeper than about 2.5 KiB below the worker still grows its stack again.
//
//go:noinline
func reserveStack() {
	var frame [taskStack]byte
	keepFrame(&frame)
}

// keepFrame keeps reserveStack's frame from being optimized away.
//
//go:noinline
func keepFrame(*[taskStack]byte) {}

// stackGauge decides whether an executor's workers make room on their
// stacks before each task. Once a task has grown its worker's stack (the
// worker's frame moved while the task ran), the executor's tasks are deep,
// as a request's handler is, and every later task gets the room first,
// where growing is cheap. An executor whose tasks stay shallow never pays
// for room it does not use: growing a new goroutine's stack that a task
// would not have grown costs more than a small task itself.
//
// Only a move while a task runs counts: run compares the worker's frame
// just before the task and just after it. A stack that grew outside a
// task, on the worker's own way between tasks, is not counted: the
// bounded worker's select on its idle timer, say, which now and then grows
// the timer heap's slice by the allocator's slow path, more than 2 KiB
// deep (see stackExecutors in the tests). Such growth never makes an
// executor's tasks deep, and a worker it left with a larger stack runs a
// deep task without moving, so the gauge learns that tasks are deep from
// the workers whose stacks a task grows (new goroutines, which every
// executor starts). A collection that shrinks the stack while a task runs
// moves the frame too, and counts: room made for nothing, at worst.
type stackGauge struct {
	deep atomic.Bool
}

// run runs f, a task, on the calling worker. room is the worker's: the
// frame's address when room was last made, 0 for never. A stack that has
// not moved since still has the room (growing and shrinking a stack copy
// it elsewhere), so it is made again only after a move: a goroutine that
// runs deep task after deep task, as an executor's idle goroutines do
// under a flow of blocking requests, zeroes the frame once, not before
// every task (about 200 instructions a task). A worker calls run from one
// place; one that calls it from another makes room again, at worst.
func (g *stackGauge) run(l *slog.Logger, f func(), room *uintptr) {
	if g.deep.Load() {
		if frameAddr() != *room {
			reserve()
			*room = frameAddr()
		}
		safely(l, "task", f)
		return
	}
	before := frameAddr()
	safely(l, "task", f)
	if frameAddr() != before { // the stack moved: it grew (or, seldom, a collection shrank it)
		g.deep.Store(true)
	}
}

// frameAddr is the address of a byte in its own frame: called twice from
// one frame, it differs only when the stack has moved in between.
//
//go:noinline
func frameAddr() uintptr {
	var b byte
	return uintptr(unsafe.Pointer(&b))
}
