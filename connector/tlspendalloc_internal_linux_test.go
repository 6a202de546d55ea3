package connector

import (
	"testing"

	"github.com/wharf-go/wharf/internal/netpoll"
	"github.com/wharf-go/wharf/internal/wharftest"
	"golang.org/x/sys/unix"
)

// A write that may not wait (close_notify at every close, a KeyUpdate's
// answer) that the socket takes whole keeps nothing in pend, and costs no
// allocation for it.
func TestTLSNoWaitWriteAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	tt := &fdTLS{f: &fdConn{Conn: netpoll.Conn{FD: fds[0]}}}
	rec := make([]byte, 24) // a TLS 1.3 close_notify's size
	buf := make([]byte, 64)
	tests := []struct {
		name string
		rec  []byte
	}{
		{"close_notify", rec},
		{"keyupdate-answer", make([]byte, 27)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(100, func() {
				if n, err := tt.Write(tc.rec); err != nil || n != len(tc.rec) {
					t.Fatalf("Write = %d, %v", n, err)
				}
				unix.Read(fds[1], buf) // the peer reads: the socket never fills
			})
			if allocs != 0 {
				t.Errorf("a write the socket took whole: %v allocations, want 0", allocs)
			}
			if len(tt.pend) != 0 {
				t.Errorf("pend holds %d bytes, want none", len(tt.pend))
			}
		})
	}
}
