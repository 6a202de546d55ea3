package wharftest

import "unsafe"

// StackAddr is the address of a byte in its own frame, one frame below its
// caller's: called twice from one frame, it differs only when the stack
// has moved (grown by copying) in between, and the difference of two calls
// from different frames is how much deeper one is.
//
//go:noinline
func StackAddr() uintptr {
	var b byte
	return uintptr(unsafe.Pointer(&b))
}
