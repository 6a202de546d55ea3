package exchange

import (
	"bufio"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
)

// handle is the Response a serialized task receives (the first three
// tasks and the finishing phase get the same behaviour through pinned). It
// delegates to the container's output only while its task runs; the
// token check is one atomic load.
//
// While the task runs, a goroutine it started may use the handle too, as
// net/http allows for a ResponseWriter (net/http/pprof writes profiles that
// way): the task must wait for that goroutine, so the uses do not overlap.
// Once the task returns, the token no longer matches and every use fails.
type handle struct {
	ex    *Exchange
	token uint32
}

var (
	_ api.Response          = (*handle)(nil)
	_ api.ContentTypeSetter = (*handle)(nil)
	_ api.Hijacker          = (*handle)(nil)
	_ api.Tunneler          = (*handle)(nil)
	_ Discarder             = (*handle)(nil)
)

func (h handle) ok() bool {
	t := h.ex.token.Load()
	return t != 0 && t == h.token
}

// Header returns the output's header inside the task, and a detached header
// (whose changes are lost) anywhere else.
func (h handle) Header() http.Header {
	if !h.ok() {
		return http.Header{}
	}
	return h.ex.out.Header()
}

// SetContentType implements api.ContentTypeSetter inside the task, through
// the output's where it has one; anywhere else, like a change to the
// detached header, it is lost.
func (h handle) SetContentType(v string) {
	if !h.ok() {
		return
	}
	api.SetContentType(h.ex.out, v)
}

func (h handle) Status() int {
	if !h.ok() {
		return 0
	}
	return h.ex.out.Status()
}

func (h handle) SetStatus(code int) error {
	if !h.ok() {
		return api.ErrNotSerialized
	}
	return h.ex.out.SetStatus(code)
}

func (h handle) Write(p []byte) (int, error) {
	if !h.ok() {
		return 0, api.ErrNotSerialized
	}
	return h.ex.out.Write(p)
}

func (h handle) WriteString(s string) (int, error) {
	if !h.ok() {
		return 0, api.ErrNotSerialized
	}
	return h.ex.out.WriteString(s)
}

func (h handle) Flush() error {
	if !h.ok() {
		return api.ErrNotSerialized
	}
	return h.ex.out.Flush()
}

// Committed reports true outside the task: nothing can change through the
// handle any more, and code that asks before it changes the head (as
// api.SetCookie does) must hear so rather than have its change lost.
func (h handle) Committed() bool {
	if !h.ok() {
		return true
	}
	return h.ex.out.Committed()
}

func (h handle) Reset() error {
	if !h.ok() {
		return api.ErrNotSerialized
	}
	return h.ex.out.Reset()
}

// Discard drops the uncommitted output and keeps the header fields that do
// not describe the body (see Discard).
func (h handle) Discard() error {
	if !h.ok() {
		return api.ErrNotSerialized
	}
	return Discard(h.ex.out)
}

func (h handle) Trailer() http.Header {
	if !h.ok() {
		return http.Header{}
	}
	return h.ex.out.Trailer()
}

// Hijack takes over the connection if the output supports it, and tells
// a Channel that is Hijacked. The exchange then completes, as after
// Complete, once the task returns, without writing anything more: a
// suspension, before the Hijack or after it (refused then, with
// api.ErrWrongState), would leave the request waiting with nothing to
// answer, and a container that counted it out at the Hijack would
// neither expire it at Shutdown nor complete it at Close.
func (h handle) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !h.ok() {
		return nil, nil, api.ErrNotSerialized
	}
	nc, rw, err := api.Hijack(h.ex.out)
	if err == nil {
		_ = h.ex.Complete()
		if hj, ok := h.ex.ch.(Hijacked); ok {
			hj.Hijacked()
		}
	}
	return nc, rw, err
}

// Tunnel takes the connection over as an api.Tunnel if the output can
// hand it over so (api.Tunneler); api.ErrNotSupported where it cannot, so
// that the caller hijacks instead. The exchange then completes as after
// Hijack.
func (h handle) Tunnel() (api.Tunnel, error) {
	if !h.ok() {
		return nil, api.ErrNotSerialized
	}
	t, ok := api.As[api.Tunneler](h.ex.out)
	if !ok {
		return nil, api.ErrNotSupported
	}
	tn, err := t.Tunnel()
	if err == nil {
		_ = h.ex.Complete()
	}
	return tn, err
}

// bufferedBody reports whether w holds uncommitted body bytes; a Response
// that cannot tell (it has no Buffered method) is taken to hold some. The
// container's output implements Buffered() int.
func bufferedBody(w api.Response) bool {
	if b, ok := w.(interface{ Buffered() int }); ok {
		return b.Buffered() > 0
	}
	return true
}

// Discarder is api.Discarder: the container's output implements it, and
// an Exchange uses it, through Discard, on the Response it writes through.
type Discarder = api.Discarder

// Discard is api.Discard. The Exchange discards this way before a timeout
// or an IO failure answers (see Listener), so that no response carries
// the bodies of two outcomes; the container does the same before it
// renders an error.
func Discard(w api.Response) error { return api.Discard(w) }

// ClearBodyHeaders deletes from h the fields that describe a response
// body (see api.ClearBodyHeaders).
func ClearBodyHeaders(h http.Header) { api.ClearBodyHeaders(h) }
