package wharftest

import (
	"os"
	"sync"

	"github.com/wharf-go/wharf/api"
)

// NonBlockingRecorder is a Recorder whose "connection" writes without
// blocking (api.NonBlockingWriter), scripted by the test: WriteNow and
// SendFileNow append to the body and count the calls, report ready as
// SetReady said, and NotifyWritable keeps its callback until Wake.
type NonBlockingRecorder struct {
	*Recorder
	nmu    sync.Mutex
	held   bool // WriteNow reports not ready
	calls  int
	notify func()
}

var _ api.NonBlockingWriter = (*NonBlockingRecorder)(nil)

// NewNonBlockingRecorder returns an empty recorder whose writes are ready.
func NewNonBlockingRecorder() *NonBlockingRecorder {
	return &NonBlockingRecorder{Recorder: NewRecorder()}
}

// NonBlocking reports true.
func (r *NonBlockingRecorder) NonBlocking() bool { return true }

// SetReady sets what WriteNow reports from now on: false plays a
// connection that holds bytes it could not send yet.
func (r *NonBlockingRecorder) SetReady(ready bool) {
	r.nmu.Lock()
	r.held = !ready
	r.nmu.Unlock()
}

// WriteNow commits the head, appends p and counts the call.
func (r *NonBlockingRecorder) WriteNow(p []byte) (bool, error) {
	if err := r.Flush(); err != nil {
		return false, err
	}
	if _, err := r.Write(p); err != nil {
		return false, err
	}
	r.nmu.Lock()
	defer r.nmu.Unlock()
	r.calls++
	return !r.held, nil
}

// SendFileNow appends n bytes of f from off (all of them, or an error) and
// counts the call.
func (r *NonBlockingRecorder) SendFileNow(f *os.File, off, n int64) (int64, error) {
	b := make([]byte, n)
	k, err := f.ReadAt(b, off)
	if err != nil {
		return 0, err
	}
	if _, err := r.WriteNow(b[:k]); err != nil {
		return 0, err
	}
	return int64(k), nil
}

// NotifyWritable keeps f for Wake.
func (r *NonBlockingRecorder) NotifyWritable(f func()) {
	r.nmu.Lock()
	r.notify = f
	r.nmu.Unlock()
}

// Wake calls the function NotifyWritable kept, if any, and reports
// whether there was one.
func (r *NonBlockingRecorder) Wake() bool {
	r.nmu.Lock()
	f := r.notify
	r.notify = nil
	r.nmu.Unlock()
	if f != nil {
		f()
	}
	return f != nil
}

// Calls returns how many writes (WriteNow and SendFileNow) reached the
// recorder.
func (r *NonBlockingRecorder) Calls() int {
	r.nmu.Lock()
	defer r.nmu.Unlock()
	return r.calls
}

// NewNonBlockingExchange builds an exchange for "GET /" that dispatches
// through h and writes to a NonBlockingRecorder (also its Out). It is not
// started.
func NewNonBlockingExchange(h api.Handler) (*Exchange, *NonBlockingRecorder) {
	out := NewNonBlockingRecorder()
	return newExchange(h, Head("GET", "/"), nil, out, out.Recorder), out
}
