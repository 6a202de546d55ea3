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
// the frames on the stack. A request's handler reaches the socket write
// about 3 KiB down (container's TestResponseStackDepth), so a handler on a
// new goroutine would pay the copy there, under a dozen frames: callgrind
// counted about 17,600 instructions a copy (more than a whole plaintext
// request), against about 3,500 for the same copy made here with two
// frames on the stack. A goroutine whose stack is already large enough
// pays a call and the zeroing of the frame.
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
