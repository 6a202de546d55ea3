package dispatcher

// taskStack is the stack, in bytes, a worker makes room for before each
// task: with the frames above it, a goroutine whose stack is 2 KiB grows
// to 4 KiB there, and one with 4 KiB or more does not grow.
const taskStack = 1536

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
// enough pays a call and the zeroing of the frame. A task that goes
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
