package formdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/mimepart"
)

// DoneFunc receives the outcome of ParseAsync: the form, or the error
// that stopped it (f is nil then, and its temporary files are already
// removed). It runs as a serialized task of the request, so it may write
// w, and it answers as a Handler does: nil completes the request with
// what it wrote; an error fails it, and the container answers it through
// its error pages (return err as it is to answer 413, 400, ...);
// ErrKeepOpen leaves the request open for work done started, which
// answers later through the *async.Context ParseAsync returned
// (Dispatch, then Complete or Fail) or is ended by the async timeout.
type DoneFunc func(w api.Response, f *Form, err error) error

// ParseAsync parses r's form body as Parse does, with the same Limits,
// errors and Form, without blocking: it puts the request in async mode
// (async.Start), reads the body through a read listener as it arrives and
// feeds it to a push parser (internal/mimepart), so no goroutine waits
// for a slow client on the epoll connector (the portable connector and
// the others read ahead on a goroutine of their own, as async.Input
// does). When the body is parsed, or fails, done runs. The read listener
// is the request's one (see async.Context.SetReadListener): a request
// whose body ParseAsync reads can have no other, and a blocking read of
// the body after it (io.ReadAll(r.Body()), Request.Form), in this
// dispatch or a later one, fails with an error wrapping api.ErrWrongState
// that names the ReadListener, rather than take the parse's bytes.
//
// Call it from the request's handler (the dispatch that may start async
// mode), which then returns nil; set the returned Context's timeout
// before it returns if the upload may take longer than the container's
// async timeout (30 s by default): a request that expires completes
// without done. An error before async mode starts (a 415, a missing
// boundary, a Content-Length over MaxBodyBytes, async mode unavailable)
// is returned and done never runs: return it from the handler. Otherwise
// done runs exactly once, unless the request completes first (it expired,
// its client left, the container closed).
//
// Temporary files are written from the listener's serialized tasks, a
// write to local disk each; they are removed when the request completes,
// however it ends, as with Parse, and at once when the parse fails.
//
// A form is parsed once per exchange, as Parse says: a ParseAsync after
// the exchange's first Parse or ParseAsync has its result starts async
// mode all the same and runs done with that result, the same *Form and
// error, as a task of the request, whatever Limits it passes; an error
// the first call returned before async mode (a 415, a 413 for the
// Content-Length) reaches done then. A ParseAsync while the first parse
// still reads the body (a Parse on another goroutine, or a ParseAsync
// whose done has not run yet) returns an error wrapping api.ErrWrongState
// and done never runs. A ParseAsync that fails to start async mode (its
// caller is no dispatch) leaves the body to the next call. Once the
// request has ended or expired before done ran, nothing reads the body
// any more: a later call gets ErrParseAborted, wrapping the timeout or
// failure that ended it.
func ParseAsync(r *api.Request, lim Limits, done DoneFunc) (*async.Context, error) {
	p := parseOf(r)
	switch c, f, err := p.claim(true); c {
	case useStored:
		return replay(r, f, err, done)
	case refused:
		return nil, err
	}
	return parseAsync(r, lim, done, p)
}

// parseAsync is ParseAsync's first call of an exchange: p (nil without
// an exchange) is claimed, and settled or released here.
func parseAsync(r *api.Request, lim Limits, done DoneFunc, p *parsed) (*async.Context, error) {
	enc, boundary, err := classify(r)
	if err != nil {
		return nil, p.settled(nil, err)
	}
	lim = lim.resolved()
	u := &upload{r: r, once: p, done: done, b: newBuilder(lim, &store{dir: lim.TempDir}), max: lim.MaxBodyBytes}
	switch {
	case enc == urlEncoded:
		u.urlencoded = true
		u.max = r.Head().MaxFormBytes
		if u.max == 0 {
			u.max = api.DefaultMaxFormBytes
		}
		if hasFormMethod(r.Method()) && over(r.ContentLength(), u.max) {
			// Another method's body is no form (see below), and no
			// limit's business: Parse gives it an empty Form too.
			return nil, p.settled(nil, formTooLarge(u.max))
		}
	default:
		if over(r.ContentLength(), lim.MaxBodyBytes) {
			return nil, p.settled(nil, tooLarge(&LimitError{Limit: "MaxBodyBytes", Max: lim.MaxBodyBytes}))
		}
		if u.p, err = mimepart.NewParser(boundary, partLimits(lim), u.b); err != nil {
			return nil, p.settled(nil, u.b.parseError(err, 0))
		}
	}
	ac, err := async.Start(r)
	if err != nil {
		p.release() // the wrong place to parse, not the form's fault
		return nil, err
	}
	u.ac = ac
	if err := async.OnComplete(r, func(err error) {
		u.b.form.st.removeAll()
		u.once.abort(err) // no task runs any more: done never will
	}); err != nil {
		return nil, p.settled(nil, err) // completed: no later call parses either
	}
	p.run()
	// The request can end before the body is read, and what runs then (a
	// timeout listener, the expired or resumed re-dispatch, an error
	// page) may ask for the form: it must hear that the parse is over,
	// not that it still reads. Registered first, these run before the
	// listeners a caller adds to the returned Context.
	ac.AddListener(async.Listener{
		OnTimeout: func(api.Response, *api.Request) { u.abort(api.ErrAsyncTimeout) },
		OnError:   func(_ api.Response, _ *api.Request, err error) { u.abort(err) },
	})
	if u.urlencoded && !hasFormMethod(r.Method()) {
		// As Request.PostForm: only these methods' bodies are forms.
		return ac, ac.Dispatch(func(w api.Response) { u.finish(w, nil) })
	}
	if u.in, err = ac.SetReadListener(u); err != nil && !errors.Is(err, api.ErrCompleted) {
		p.settle(nil, err)
	}
	// Refused with api.ErrCompleted (a Complete from another goroutine
	// came first), the parse is left to the OnComplete listener above,
	// which aborts it with what ended the request (ErrParseAborted).
	return ac, err
}

func hasFormMethod(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch
}

func formTooLarge(limit int64) error {
	return &api.StatusError{Code: http.StatusRequestEntityTooLarge, Err: fmt.Errorf("%w: form body over %d bytes", api.ErrBodyTooLarge, limit)}
}

// upload is one ParseAsync: the read listener and the parse state. Its
// callbacks are serialized tasks of the request, so it needs no lock.
type upload struct {
	r    *api.Request
	once *parsed // the exchange's parse, settled before done runs; nil without one
	ac   *async.Context
	in   *async.Input
	done DoneFunc
	b    *builder

	p          *mimepart.Parser // multipart
	urlencoded bool
	body       []byte // a URL-encoded body so far
	n, max     int64  // bytes read, and the limit on them
	finished   bool
}

// OnDataAvailable feeds what has arrived to the parser.
func (u *upload) OnDataAvailable(w api.Response) {
	if u.finished {
		return
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, err := u.in.Read(buf)
		if n > 0 {
			if ferr := u.consume(buf[:n]); ferr != nil {
				u.finish(w, ferr)
				return
			}
			if u.p != nil && u.p.Done() {
				// The final delimiter: what follows is ignored, as
				// mime/multipart ignores it, and the connector drops it.
				u.finish(w, nil)
				return
			}
		}
		if err != nil {
			return // ErrWouldBlock: called again; io.EOF: OnAllDataRead; else OnError
		}
	}
}

func (u *upload) consume(p []byte) error {
	u.n += int64(len(p))
	if u.urlencoded {
		if over(u.n, u.max) {
			return formTooLarge(u.max)
		}
		u.body = append(u.body, p...)
		return nil
	}
	if over(u.n, u.max) {
		return tooLarge(&LimitError{Limit: "MaxBodyBytes", Max: u.max})
	}
	if _, err := u.p.Write(p); err != nil {
		return u.b.parseError(err, u.p.Parts())
	}
	return nil
}

// OnAllDataRead ends the body.
func (u *upload) OnAllDataRead(w api.Response) {
	if u.finished {
		return
	}
	if u.p != nil {
		if err := u.p.Close(); err != nil {
			u.finish(w, u.b.parseError(err, u.p.Parts()))
			return
		}
		u.finish(w, nil)
		return
	}
	// The bytes become the exchange's body form, as Parse's PostForm
	// makes it: every Request of the exchange shares that one parse. So a
	// form a filter or the handler read first (FormValue), whose body is
	// spent and read here as nothing, is the one its body held; and
	// FormValue after this parse sees these values, not a spent body.
	v, err := u.r.WithBody(io.NopCloser(bytes.NewReader(u.body))).PostForm()
	if err != nil {
		u.finish(w, formError(err))
		return
	}
	u.b.form.Values = v
	u.finish(w, nil)
}

// OnError reports a failed read (the client left, a rate or size limit of
// the connector).
func (u *upload) OnError(w api.Response, err error) {
	if !u.finished {
		u.finish(w, readError(err))
	}
}

// abort ends an upload its request outlived, from a timeout or failure
// listener (a serialized task, as the callbacks are): done will not run,
// the callbacks still to come do nothing, the files go now, and the
// exchange's parse settles with cause.
func (u *upload) abort(cause error) {
	if u.finished {
		return
	}
	u.finished = true
	u.body = nil
	u.b.form.st.removeAll()
	u.once.abort(cause)
}

// finish runs done once and completes the request as done's result says.
func (u *upload) finish(w api.Response, err error) {
	u.finished = true
	f := u.b.form
	if err != nil {
		f.st.removeAll()
		f = nil
	}
	u.body = nil
	u.once.settle(f, err) // done may parse again: it gets f and err
	end(u.ac, u.done(w, f, err))
}

// end completes the request as a DoneFunc's result says.
func end(ac *async.Context, derr error) {
	switch {
	case errors.Is(derr, ErrKeepOpen):
	case derr != nil:
		ac.Fail(derr)
	default:
		ac.Complete()
	}
}
