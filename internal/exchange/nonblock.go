package exchange

import (
	"os"

	"github.com/wharf-go/wharf/api"
)

// A task's handle writes without blocking when the output can, inside the
// task only, as the rest of the handle does.
var _ api.NonBlockingWriter = (*handle)(nil)

// NonBlockingOutput returns the output's non-blocking writer while a task
// runs, or nil outside one or when the output cannot write without
// blocking. It is what the running task's handle writes through
// (WriteNow), without making a handle: async.Output's direct write takes
// it once a Write, which Current would do with a handle of its own. A
// goroutine calling while a task runs cannot be told from the task in
// production; test binaries tell it (owner checks), and get nil.
func (ex *Exchange) NonBlockingOutput() api.NonBlockingWriter {
	if !ex.inTask() {
		return nil
	}
	return ex.outNB()
}

// outNB returns the output's non-blocking writer, nil if it has none or
// cannot write without blocking now.
func (ex *Exchange) outNB() api.NonBlockingWriter {
	if w, ok := api.As[api.NonBlockingWriter](ex.out); ok && w.NonBlocking() {
		return w
	}
	return nil
}

// nb returns the output's non-blocking writer while the task runs.
func (h handle) nb() (api.NonBlockingWriter, error) {
	if !h.ok() {
		return nil, api.ErrNotSerialized
	}
	if w := h.ex.outNB(); w != nil {
		return w, nil
	}
	return nil, api.ErrNotSupported
}

// NonBlocking reports whether the output writes without blocking; false
// outside the task.
func (h handle) NonBlocking() bool {
	_, err := h.nb()
	return err == nil
}

func (h handle) WriteNow(p []byte) (bool, error) {
	w, err := h.nb()
	if err != nil {
		return false, err
	}
	return w.WriteNow(p)
}

func (h handle) SendFileNow(f *os.File, off, n int64) (int64, error) {
	w, err := h.nb()
	if err != nil {
		return 0, err
	}
	return w.SendFileNow(f, off, n)
}

// NotifyWritable waits for the output's connection; outside the task, or
// on an output that cannot tell, it calls f at once, and the write f
// leads to reports why.
func (h handle) NotifyWritable(f func()) {
	w, err := h.nb()
	if err != nil {
		f()
		return
	}
	w.NotifyWritable(f)
}
