package async

import (
	"errors"
	"fmt"
	"io"
	"os"
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
	// OnError is called once if writing failed, or if the request failed
	// (its client left, or Fail was called) while the Output was in use.
	OnError(w api.Response, err error)
}

// DefaultOutputWindow is how many bytes an Output queues before IsReady
// reports false.
const DefaultOutputWindow = 64 << 10

// Output is a response body written without blocking: Write and SendFile
// return at once; a serialized task (the flush) hands what they queued to
// the connection.
//
// Where the response can be written without blocking
// (api.NonBlockingWriter: the epoll connector's cleartext HTTP/1.1), a
// Write with nothing queued before it goes to the connection itself, and
// the flush writes what the socket takes, asks to be woken when it takes
// more, and returns: a slow client holds no goroutine, and a file goes
// out with sendfile(2). Elsewhere (TLS, HTTP/2, HTTP/3, the portable connector) the
// task writes with the response's blocking methods, and a slow client
// holds it while it writes.
//
// The request's async timeout still runs while the body goes out: lengthen
// it (SetTimeout; negative: none) for a long download, which the
// connection's write timeout and minimum data rate keep from stalling.
//
// Use an Output only from the request's serialized tasks.
type Output struct {
	a      *Context
	l      WriteListener
	window int

	mu         sync.Mutex
	pending    []piece
	size       int  // bytes in pending (files not counted)
	scheduled  bool // a flush task is queued, or waits for the connection
	wantReady  bool // IsReady said false: call OnWritePossible after the flush
	completing bool // Complete was asked: complete after the flush
	failed     bool // err came from Write's own write: the flush reports it
	reported   bool // OnError was called
	flushes    uint // flush tasks that ran: schedule tells its flush's run from a refusal
	err        error
}

// piece is one queued part of the body: bytes, or a section of a file.
type piece struct {
	b      []byte
	f      *os.File
	off, n int64
}

// SetWriteListener makes the response writable without blocking through
// the returned Output; l.OnWritePossible is scheduled at once.
//
// A request has one WriteListener: a second call, in this async cycle or
// a later one, returns an error wrapping api.ErrWrongState, and the first
// listener goes on. Once the request has completed, or was completed
// (Complete, from the task still running), or its OnError listeners were
// told of a failure (Fail, a client gone: from one of them, or after),
// it returns api.ErrCompleted, as Dispatch does, since no callback would
// reach the listener any more, and the request still has no
// WriteListener. A failure not told yet (the client left while the
// dispatch runs) takes the listener, and tells its OnError.
func (a *Context) SetWriteListener(l WriteListener) (*Output, error) {
	if l == nil {
		return nil, errors.New("async: nil WriteListener")
	}
	c := a.claims()
	if !c.write.CompareAndSwap(false, true) {
		return nil, errSecondListener("WriteListener")
	}
	o := &Output{a: a, l: l, window: DefaultOutputWindow}
	// A request that fails (its client left, noticed by the connection
	// before a flush could be) drops the flush still queued: the
	// listener hears of it all the same. One that completes drops a
	// flush that waits for the connection too, which no wake-up may
	// ever dispatch again (and so tell dropped): what Write would queue
	// from then on would never go.
	// A request whose OnError listeners were told accepts the first
	// OnWritePossible and drops it, the failure told without this
	// listener: refused here, as a completed one's is.
	if err := a.ex.AddListenerOpen(Listener{
		OnError:    func(w api.Response, _ *api.Request, err error) { o.report(w, err) },
		OnComplete: func(*api.Request, error) { o.dropped(api.ErrCompleted) },
	}); err != nil {
		c.write.Store(false)
		return nil, err
	}
	if err := a.Dispatch(func(w api.Response) { l.OnWritePossible(w) }); err != nil {
		// Completed (api.ErrCompleted): a refused listener is none.
		c.write.Store(false)
		return nil, err
	}
	return o, nil
}

// report calls the listener's OnError with err, once, and makes err the
// Output's. It runs in a serialized task.
func (o *Output) report(w api.Response, err error) {
	o.mu.Lock()
	if o.reported {
		o.mu.Unlock()
		return
	}
	o.reported = true
	if o.err == nil {
		o.err = err
	}
	o.mu.Unlock()
	o.l.OnError(w, err)
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

// Write takes p and never blocks. Where the connection writes without
// blocking and nothing is queued before p, p goes to it at once (what the
// socket does not take now is kept by the connection and sent as it
// drains); otherwise a copy of p is queued for the flush task. It returns
// api.ErrWouldBlock (and takes nothing) when IsReady would report false,
// the write error once one happened, and api.ErrCompleted (taking
// nothing) once the request completed.
//
// The first Write commits the response, as net/http's first Write does:
// set the status and header fields before it. (Where the bytes are queued
// for the flush, fields set before the flush runs may still go out; do not
// count on it.)
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
	if !o.scheduled && len(o.pending) == 0 {
		if nb := o.nonBlocking(); nb != nil {
			// Nothing is queued or on its way: hand p to the connection
			// now, as a flush would, saving the flush task.
			o.scheduled = true
			o.mu.Unlock()
			return o.writeDirect(nb, p)
		}
	}
	o.pending = append(o.pending, piece{b: append([]byte(nil), p...)})
	o.size += len(p)
	o.mu.Unlock()
	if err := o.schedule(); err != nil {
		return 0, err // the request completed: p will never go
	}
	return len(p), nil
}

// nonBlocking returns the running task's non-blocking writer, or nil when
// the response has none, or when Write was called outside a task: such a
// Write is queued, and the flush, a task, writes it (or reports a
// misuse). A goroutine calling while a task runs cannot be told from the
// task in production (Write's rule says tasks only); test binaries tell
// it (exchange.NonBlockingOutput), so tests catch the misuse.
func (o *Output) nonBlocking() api.NonBlockingWriter {
	return o.a.ex.NonBlockingOutput()
}

// writeDirect writes p through nb for Write (scheduled is set): the
// connection takes all of it, sending what it can now. When some is left
// unsent, the connection's wake-up dispatches the flush, as after a
// flush that waits; a failure is reported by a flush task, as a failed
// flush reports it (to OnError, then completing).
func (o *Output) writeDirect(nb api.NonBlockingWriter, p []byte) (int, error) {
	ready, err := nb.WriteNow(p)
	switch {
	case err != nil:
		o.mu.Lock()
		if o.err == nil {
			o.err = err
			o.failed = true
		}
		o.mu.Unlock()
		o.dispatch()
		return 0, err
	case !ready:
		nb.NotifyWritable(o.dispatch)
	default:
		o.mu.Lock()
		o.scheduled = false
		again := len(o.pending) > 0 || o.completing
		o.mu.Unlock()
		if again { // Complete was asked meanwhile (by another goroutine)
			o.schedule()
		}
	}
	return len(p), nil
}

// SendFile queues n bytes of f from offset off, to follow what was queued
// before. It never blocks, and neither reads f nor moves its offset now.
// The response must declare its Content-Length (set the header before the
// first write) for the file to go out with sendfile(2); otherwise, and on
// connections that cannot write without blocking, the flush task copies
// it. f must stay open until the request completes: close it in an
// OnComplete listener. A file shorter than off+n fails the response.
func (o *Output) SendFile(f *os.File, off, n int64) error {
	if f == nil || off < 0 || n < 0 {
		return errors.New("async: SendFile of a nil file or a negative range")
	}
	o.mu.Lock()
	if o.err != nil {
		err := o.err
		o.mu.Unlock()
		return err
	}
	o.pending = append(o.pending, piece{f: f, off: off, n: n})
	o.mu.Unlock()
	return o.schedule()
}

// Complete completes the request once every queued byte has been written.
// Completing the request by other means drops what is still queued. It
// returns what Write would: the write error once one happened (the request
// ends without the rest of the body), and api.ErrCompleted once the
// request completed; then nothing queued goes out, and this call
// completes nothing.
func (o *Output) Complete() error {
	o.mu.Lock()
	o.completing = true
	err := o.err
	o.mu.Unlock()
	if err != nil {
		// The request completed, or the flush that reports the error
		// completes it.
		return err
	}
	return o.schedule()
}

// schedule queues the flush task unless it is queued already or waiting
// for the connection. It returns api.ErrCompleted if the request
// completed before the flush could run: before it was queued, or while
// it was. A completion the flush made itself (it ran at once, on another
// goroutine, and completed the request as Complete asked) is no refusal.
func (o *Output) schedule() error {
	o.mu.Lock()
	if o.scheduled {
		o.mu.Unlock()
		return nil
	}
	o.scheduled = true
	flushes := o.flushes
	o.mu.Unlock()
	o.dispatch()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.flushes == flushes && errors.Is(o.err, api.ErrCompleted) {
		return o.err
	}
	return nil
}

// dispatch queues the flush task (scheduled is set).
func (o *Output) dispatch() {
	if err := o.a.DispatchOr(o.flush, o.dropped); err != nil {
		o.dropped(err)
	}
}

// dropped is told that the flush task will not run: the request
// completed (api.ErrCompleted) before or while it was queued, or while
// it waited for the connection. Nothing
// queued goes out any more, so the Output fails from here on: a Write
// that took its bytes with a nil error would say they were on their way.
func (o *Output) dropped(err error) {
	o.mu.Lock()
	o.scheduled = false
	if o.err == nil {
		o.err = err
	}
	o.mu.Unlock()
}

// flush is the serialized task that hands the queue to the connection and
// then calls the listener. Without blocking, it stops where the
// connection is full and is dispatched again when it drains.
func (o *Output) flush(w api.Response) {
	nb, ok := api.As[api.NonBlockingWriter](w)
	if !ok || !nb.NonBlocking() {
		nb = nil
	}
	var err error
	o.mu.Lock()
	o.flushes++
	if o.failed { // Write's own write failed: report it as a flush would
		o.failed = false
		err = o.err
	}
	o.mu.Unlock()
	waiting := false
	wrote := false // a write through nb: it said whether anything is left
	for err == nil && !waiting {
		o.mu.Lock()
		if len(o.pending) == 0 {
			o.mu.Unlock()
			break
		}
		p := o.pending[0]
		o.mu.Unlock()
		var done bool
		if nb != nil {
			// An empty file section writes nothing: it cannot tell
			// whether the connection still holds bytes.
			wrote = wrote || p.f == nil || p.n > 0
			done, waiting, err = o.writeNow(nb, &p)
		} else {
			done, err = o.writeBlocking(w, &p)
		}
		o.mu.Lock()
		if done {
			o.pending[0] = piece{}
			o.pending = o.pending[1:]
			o.size -= len(p.b)
		} else {
			o.pending[0] = p
		}
		o.mu.Unlock()
	}
	switch {
	case err != nil || waiting:
	case nb == nil:
		err = w.Flush()
	case !wrote:
		// What the stream still holds from an earlier write, or the
		// head alone.
		var ready bool
		ready, err = nb.WriteNow(nil)
		waiting = !ready && err == nil
	}
	if waiting {
		// scheduled stays set: the connection's wake-up dispatches the
		// flush, and nothing else may until then.
		nb.NotifyWritable(o.dispatch)
		return
	}
	o.mu.Lock()
	o.scheduled = false
	if err != nil && o.err == nil {
		o.err = err
	}
	ready := o.wantReady && err == nil && o.size < o.window
	if ready {
		o.wantReady = false
	}
	completing := o.completing && len(o.pending) == 0
	more := len(o.pending) > 0 && err == nil
	o.mu.Unlock()
	switch {
	case err != nil:
		o.report(w, err)
	case ready:
		o.l.OnWritePossible(w)
	}
	if (completing || err != nil) && !more {
		_ = o.a.Complete()
		return
	}
	o.mu.Lock()
	again := len(o.pending) > 0 && o.err == nil
	o.mu.Unlock()
	if again {
		o.schedule() // queued by the listener while this task ran
	}
}

// writeNow writes p without blocking: done when all of it went (bytes are
// always taken whole; waiting says the connection holds some unsent), or
// how far a file got.
func (o *Output) writeNow(nb api.NonBlockingWriter, p *piece) (done, waiting bool, err error) {
	if p.f != nil && p.n == 0 {
		return true, false, nil
	}
	if p.f == nil {
		ready, err := nb.WriteNow(p.b)
		return true, !ready && err == nil, err
	}
	k, err := nb.SendFileNow(p.f, p.off, p.n)
	p.off += k
	p.n -= k
	if errors.Is(err, api.ErrNotSupported) { // no Content-Length: copy it
		return o.copyNow(nb, p)
	}
	return p.n == 0, p.n > 0 && err == nil, err
}

// copyNow sends a file section through WriteNow, a window at a time: for
// responses sendfile cannot serve (no declared length).
func (o *Output) copyNow(nb api.NonBlockingWriter, p *piece) (done, waiting bool, err error) {
	buf := make([]byte, min(p.n, int64(o.window)))
	for p.n > 0 {
		k, err := p.f.ReadAt(buf[:min(p.n, int64(len(buf)))], p.off)
		if k == 0 && err != nil {
			return false, false, fileError(p, err)
		}
		p.off += int64(k)
		p.n -= int64(k)
		ready, err := nb.WriteNow(buf[:k])
		if err != nil {
			return false, false, err
		}
		if !ready {
			return p.n == 0, true, nil
		}
	}
	return true, false, nil
}

// writeBlocking writes p with the response's blocking methods.
func (o *Output) writeBlocking(w api.Response, p *piece) (done bool, err error) {
	if p.f == nil {
		_, err := w.Write(p.b)
		return err == nil, err
	}
	if p.n == 0 {
		return true, nil
	}
	buf := make([]byte, min(p.n, 32<<10))
	k, err := io.CopyBuffer(w, io.NewSectionReader(p.f, p.off, p.n), buf)
	p.off += k
	p.n -= k
	if err == nil && p.n > 0 {
		err = fileError(p, io.ErrUnexpectedEOF)
	}
	return p.n == 0, err
}

func fileError(p *piece, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("async: reading %s: %w", p.f.Name(), err)
}
