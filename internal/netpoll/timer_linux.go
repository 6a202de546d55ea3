package netpoll

import (
	"time"

	"golang.org/x/sys/unix"
)

// Timer is a timerfd on the monotonic clock (Go's own): a descriptor that
// turns readable when the time it was set for comes, so that a Poller's
// Wait wakes for it like for any other event. Set and Clear may be called
// from any goroutine.
type Timer struct{ fd int }

// NewTimer creates a Timer, not set.
func NewTimer() (*Timer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &Timer{fd: fd}, nil
}

// FD returns the descriptor, to add to a Poller (Readable).
func (t *Timer) FD() int { return t.fd }

// Set makes the descriptor readable d from now (at once for d <= 0),
// replacing the time set before.
func (t *Timer) Set(d time.Duration) error {
	// A zero it_value would disarm the timer: the soonest is a nanosecond.
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(max(int64(d), 1))}
	return unix.TimerfdSettime(t.fd, 0, &spec, nil)
}

// Clear takes the expiry the descriptor reports, so that it stops being
// readable until it is set and fires again.
func (t *Timer) Clear() {
	var b [8]byte
	unix.Read(t.fd, b[:])
}

// Close closes the descriptor (which leaves any Poller it was added to).
func (t *Timer) Close() error { return unix.Close(t.fd) }
