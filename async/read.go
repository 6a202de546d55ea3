package async

import (
	"errors"
	"io"
	"sync"

	"github.com/wharf-go/wharf/api"
)

// ReadListener receives a request body without blocking (the Servlet API's
// ReadListener). Its methods run as serialized tasks of the request, like
// everything else of it, and each gets a Response it may write and
// complete with. Once a task has completed the request, no callback is made
// any more: pending ones are dropped.
type ReadListener interface {
	// OnDataAvailable is called when Input.Read can return bytes. Read
	// until it returns api.ErrWouldBlock (OnDataAvailable is called again
	// when more arrive) or io.EOF (OnAllDataRead follows).
	OnDataAvailable(w api.Response)
	// OnAllDataRead is called once, after Read returned io.EOF.
	OnAllDataRead(w api.Response)
	// OnError is called once if reading the body failed, or if the
	// request failed (its client left, or Fail was called) before
	// OnAllDataRead was called, with the request's error. Only one of
	// OnAllDataRead and OnError is called.
	OnError(w api.Response, err error)
}

// chunkSize is how much the fallback reading goroutine reads at a time.
const chunkSize = 16 << 10

// Input is a request body read without blocking. Read it only from the
// request's serialized tasks (the listener's callbacks, or tasks given to
// Dispatch): a Read from another goroutine would race the callbacks for
// the body's bytes.
type Input struct {
	a    *Context
	l    ReadListener
	nb   api.NonBlockingReader // nil: a goroutine reads for us
	body io.Reader

	mu      sync.Mutex
	chunk   []byte // fallback: bytes read ahead by the goroutine
	off     int
	ahead   error // fallback: the error the goroutine met (io.EOF at the end)
	reading bool  // fallback: the goroutine is reading the next chunk
	done    bool  // OnAllDataRead or OnError was scheduled
	told    bool  // OnAllDataRead or OnError was called
}

// SetReadListener makes the request body readable without blocking through
// the returned Input: l.OnDataAvailable is scheduled at once. Where the
// connection cannot read without blocking (the portable connector), a
// goroutine reads ahead, one chunk at a time; on the epoll connector no
// goroutine waits for the body. A body the handler already read to its
// end, if only to the last byte of its Content-Length without seeing
// io.EOF, is over: the first Read returns io.EOF, and OnAllDataRead
// follows, as the Servlet API's onAllDataRead does for finished input.
//
// A request has one ReadListener: a second call, in this async cycle or
// a later one (package formdata's ParseAsync sets one), returns an error
// wrapping api.ErrWrongState, and the first listener goes on. Once the
// request has completed, or was completed (Complete, from the task still
// running), or its OnError listeners were told of a failure (Fail, a
// client gone: from one of them, or after), it returns api.ErrCompleted,
// as Dispatch does, since no callback would reach the listener any more,
// and the request still has no ReadListener. A failure not told yet (the
// client left while the dispatch runs) takes the listener, and tells its
// OnError.
//
// Once the listener is set, the body is its own, as in the Servlet API,
// whose getInputStream after setReadListener is an IllegalStateException
// in blocking mode: a blocking read of it (io.ReadAll(r.Body()),
// Request.Form, formdata.Parse, an http.Handler's body through
// api.FromHTTP), from this dispatch or a later one of the request (a
// Redispatch, a resumed continuation's), fails with an error wrapping
// api.ErrWrongState that names the ReadListener, on every connector,
// rather than race the listener for the bytes (see api.Request.Body).
func (a *Context) SetReadListener(l ReadListener) (*Input, error) {
	if l == nil {
		return nil, errors.New("async: nil ReadListener")
	}
	c := a.claims()
	if !c.read.CompareAndSwap(false, true) {
		return nil, errSecondListener("ReadListener")
	}
	in := &Input{a: a, l: l, body: a.r.Body()}
	// A request that fails (its client left, noticed by the connection;
	// Fail) drops the callbacks still queued, and its body may never
	// call back again: the listener hears of the failure all the same,
	// as a WriteListener does, unless it was told of the body's end.
	// A request completed, or whose OnError listeners were told, calls
	// back no more: the callbacks scheduled would be refused or dropped,
	// and the failure's OnError would be told without this one.
	if err := a.ex.AddListenerOpen(Listener{OnError: func(w api.Response, _ *api.Request, err error) {
		if in.tell() {
			l.OnError(w, err)
		}
	}}); err != nil {
		c.read.Store(false)
		return nil, err
	}
	// The body is the listener's from now on: Body gives every Request
	// of the exchange a reader that refuses a blocking read, which would
	// race the listener for the bytes (the read-ahead goroutine below),
	// in this dispatch or a later one. in.body is the stream itself,
	// taken above.
	a.ex.ListenBody(in.body)
	if nb, ok := in.body.(api.NonBlockingReader); ok {
		var probe [0]byte
		if _, err := nb.TryRead(probe[:]); !errors.Is(err, api.ErrNotSupported) {
			in.nb = nb
		}
	}
	if in.nb != nil {
		in.nb.NotifyReadable(in.available)
		return in, nil
	}
	in.mu.Lock()
	in.reading = true
	in.mu.Unlock()
	go in.readAhead()
	return in, nil
}

// available schedules OnDataAvailable; called when bytes can be read.
func (in *Input) available() {
	_ = in.a.Dispatch(func(w api.Response) { in.l.OnDataAvailable(w) })
}

// readAhead is the fallback goroutine: it reads one chunk, blocking, then
// hands it to the serialized side.
func (in *Input) readAhead() {
	buf := make([]byte, chunkSize)
	n, err := in.body.Read(buf)
	in.mu.Lock()
	in.chunk, in.off, in.ahead, in.reading = buf[:n], 0, err, false
	in.mu.Unlock()
	in.available()
}

// Read reads what is available. It returns api.ErrWouldBlock when nothing
// is (OnDataAvailable will be called again), io.EOF at the end (then
// OnAllDataRead is called), or the body's error (then OnError).
func (in *Input) Read(p []byte) (int, error) {
	if in.nb != nil {
		n, err := in.nb.TryRead(p)
		switch {
		case n > 0:
			return n, nil
		case errors.Is(err, api.ErrWouldBlock):
			in.nb.NotifyReadable(in.available)
		case err != nil:
			in.finish(err)
		}
		return n, err
	}
	in.mu.Lock()
	if in.off < len(in.chunk) {
		n := copy(p, in.chunk[in.off:])
		in.off += n
		in.mu.Unlock()
		return n, nil
	}
	err := in.ahead
	if err == nil && !in.reading {
		in.reading = true
		in.mu.Unlock()
		go in.readAhead()
		return 0, api.ErrWouldBlock
	}
	in.mu.Unlock()
	if err == nil {
		return 0, api.ErrWouldBlock
	}
	in.finish(err)
	return 0, err
}

// finish schedules the last callback once: OnAllDataRead at the end,
// OnError on a failure.
func (in *Input) finish(err error) {
	in.mu.Lock()
	if in.done {
		in.mu.Unlock()
		return
	}
	in.done = true
	in.mu.Unlock()
	if err == io.EOF {
		_ = in.a.Dispatch(func(w api.Response) {
			if in.tell() {
				in.l.OnAllDataRead(w)
			}
		})
		return
	}
	_ = in.a.Dispatch(func(w api.Response) {
		if in.tell() {
			in.l.OnError(w, err)
		}
	})
}

// tell reports whether the caller is the one to call the listener's last
// callback (OnAllDataRead or OnError), and marks it called. It runs in a
// serialized task.
func (in *Input) tell() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.told {
		return false
	}
	in.told, in.done = true, true
	return true
}
