// Package netpoll is the platform layer of the epoll connector: the system
// calls and the epoll bookkeeping, and nothing else. It knows nothing of
// HTTP, of connections' states or of the connector's types; it deals in
// descriptors, readiness events and the uint64 keys its caller registers
// them with.
//
// The model: a Poller is one epoll instance and an eventfd that wakes it.
// Descriptors are added to it with the events wanted (edge-triggered,
// one-shot or level-triggered, as the caller says) and a key; Wait fills a
// caller's slice with the ready events and their keys. Wait never blocks a
// thread: the epoll descriptor is itself pollable, so it is handed to the Go
// runtime's poller, and a Wait with nothing ready parks its goroutine there
// like any other; each look at the ready list is an epoll_pwait with a zero
// timeout. I/O on the descriptors (Read, Writev) is non-blocking too, and
// reports ErrAgain when the descriptor is not ready: the caller decides
// whether to wait for the next event. A Conn decides for it: it keeps what
// the events said of a connected socket, and parks a goroutine whose read
// or write has to wait until its owner hands it the event that lets it go
// on (or its timeout passes), so blocking code runs on top of it.
//
// A Listener is a listening socket that belongs to someone else (a
// *net.TCPListener, which its owner may close at any time): it is touched
// only while the runtime keeps its descriptor valid, and accepts
// non-blocking sockets with their peers' addresses as values.
//
// The system calls on the hot paths go through RawSyscall (see Read).
//
// The implementation is Linux only (*_linux.go); on other platforms the
// package is empty and nothing imports it. It imports golang.org/x/sys/unix
// and the standard library only.
package netpoll
