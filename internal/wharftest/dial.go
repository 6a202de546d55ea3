package wharftest

import (
	"net"
	"testing"
	"time"
)

// Dial opens a TCP connection to addr for a test that speaks raw bytes to
// a server: a failure to connect fails t, the connection is closed when
// the test ends, and its deadline is d from now, so that a server that
// never answers fails the test instead of hanging it (zero sets none:
// the test bounds its reads itself, or must not be cut short by one).
func Dial(t testing.TB, addr string, d time.Duration) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if d != 0 {
		nc.SetDeadline(time.Now().Add(d))
	}
	return nc
}
