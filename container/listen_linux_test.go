package container_test

import (
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/wharf-go/wharf/container"
)

// ListenAndServe that fails once it has bound its port (here the epoll
// connector cannot make its selectors: the process is out of descriptors)
// gives the port back, as ListenAndServeTLS does: the caller never had the
// listener to close, and a retry on the same address must not find it in
// use by this process.
func TestListenAndServeFailureFreesPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := container.New()
	defer c.Close()

	err = withDescriptorsLeft(t, 1, func() error { return c.ListenAndServe(addr) }) // one for the listener, none for epoll
	if err == nil || err == container.ErrServerClosed {
		t.Fatalf("ListenAndServe out of descriptors: %v, want the failure", err)
	}
	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the port after ListenAndServe failed: %v", err)
	}
	l.Close()
}

// withDescriptorsLeft runs f with the process allowed n descriptors more
// than it has open.
func withDescriptorsLeft(t *testing.T, n int, f func() error) error {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Skip(err)
	}
	open, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	lim := old
	lim.Cur = uint64(len(open) - 1 + n) // ReadDir's own descriptor is closed again
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	return f()
}
