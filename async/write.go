package async

import (
	"errors"
	"sync"

	"github.com/wharf-go/wharf/api"
)

// WriteListener writes a response without blocking (the Servlet API's
// WriteListener). Its methods run as serialized tasks of the request.
type WriteListener interface {
	// OnWritePossible is called when Output.Write accepts bytes: write
	// while IsReady reports true; after IsReady said false it is called
	// again once the bytes queued so far have gone to the connection.
	OnWritePossible(w api.Response)
	// OnError is called once if writing failed.
	OnError(w api.Response, err error)
}

// DefaultOutputWindow is how many bytes an Output queues before IsReady
// reports false.
const DefaultOutputWindow = 64 << 10

// Output is a response body written without blocking: Write queues bytes
// and returns at once; a serialized task hands them to the connection.
// Use it only from the request's serialized tasks.
type Output struct {
	a      *Context
	l      WriteListener
	window int

	mu         sync.Mutex
	pending    [][]byte
	size       int
	scheduled  bool // a flush task is queued
	wantReady  bool // IsReady said false: call OnWritePossible after the flush
	completing bool // Complete was asked: complete after the flush
	err        error
}

// SetWriteListener makes the response writable without blocking through
// the returned Output; l.OnWritePossible is scheduled at once.
func (a *Context) SetWriteListener(l WriteListener) (*Output, error) {
	if l == nil {
		return nil, errors.New("async: nil WriteListener")
	}
	o := &Output{a: a, l: l, window: DefaultOutputWindow}
	if err := a.Dispatch(func(w api.Response) { l.OnWritePossible(w) }); err != nil {
		return nil, err
	}
	return o, nil
}

// IsReady reports whether Write will accept bytes now. When it reports
// false, OnWritePossible is called once the queued bytes are written.
func (o *Output) IsReady() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return false
	}
	if o.size >= o.window {
		o.wantReady = true
		return false
	}
	return true
}

// Write queues a copy of p. It never blocks; it returns api.ErrWouldBlock
// (and queues nothing) when IsReady would report false, and the write
// error once one happened.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	if o.err != nil {
		err := o.err
		o.mu.Unlock()
		return 0, err
	}
	if o.size >= o.window {
		o.wantReady = true
		o.mu.Unlock()
		return 0, api.ErrWouldBlock
	}
	o.pending = append(o.pending, append([]byte(nil), p...))
	o.size += len(p)
	schedule := !o.scheduled
	o.scheduled = true
	o.mu.Unlock()
	if schedule {
		o.schedule()
	}
	return len(p), nil
}

// Complete completes the request once every queued byte has been written.
// Completing the request by other means drops what is still queued.
func (o *Output) Complete() error {
	o.mu.Lock()
	o.completing = true
	schedule := !o.scheduled
	o.scheduled = true
	o.mu.Unlock()
	if schedule {
		o.schedule()
	}
	return nil
}

func (o *Output) schedule() {
	if err := o.a.Dispatch(o.flush); err != nil {
		o.mu.Lock()
		o.scheduled = false
		o.mu.Unlock()
	}
}

// flush is the serialized task that hands the queue to the connection
// (where a slow client may hold this task) and then calls the listener.
func (o *Output) flush(w api.Response) {
	o.mu.Lock()
	bufs := o.pending
	o.pending, o.size, o.scheduled = nil, 0, false
	o.mu.Unlock()
	var err error
	for _, b := range bufs {
		if _, err = w.Write(b); err != nil {
			break
		}
	}
	if err == nil && len(bufs) > 0 {
		err = w.Flush()
	}
	o.mu.Lock()
	if err != nil && o.err == nil {
		o.err = err
	}
	ready := o.wantReady && err == nil
	o.wantReady = false
	completing := o.completing && o.size == 0
	o.mu.Unlock()
	switch {
	case err != nil:
		o.l.OnError(w, err)
	case ready:
		o.l.OnWritePossible(w)
	}
	if completing || err != nil {
		o.mu.Lock()
		more := o.size > 0 && err == nil
		o.mu.Unlock()
		if !more {
			_ = o.a.Complete()
		}
	}
}
