package async

import (
	"bufio"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
)

// handle is the Response a serialized task receives. It delegates to the
// container's output only while its task runs; the token check is one
// atomic load.
//
// While the task runs, a goroutine it started may use the handle too, as
// net/http allows for a ResponseWriter (net/http/pprof writes profiles that
// way): the task must wait for that goroutine, so the uses do not overlap.
// Once the task returns, the token no longer matches and every use fails.
type handle struct {
	ex    *Exchange
	token uint64
}

var (
	_ api.Response = (*handle)(nil)
	_ api.Hijacker = (*handle)(nil)
)

func (h *handle) ok() bool {
	t := h.ex.token.Load()
	return t != 0 && t == h.token
}

// Header returns the output's header inside the task, and a detached header
// (whose changes are lost) anywhere else.
func (h *handle) Header() http.Header {
	if !h.ok() {
		return http.Header{}
	}
	return h.ex.out.Header()
}

func (h *handle) Status() int {
	if !h.ok() {
		return 0
	}
	return h.ex.out.Status()
}

func (h *handle) SetStatus(code int) error {
	if !h.ok() {
		return api.ErrNotSerialized
	}
	return h.ex.out.SetStatus(code)
}

func (h *handle) Write(p []byte) (int, error) {
	if !h.ok() {
		return 0, api.ErrNotSerialized
	}
	return h.ex.out.Write(p)
}

func (h *handle) WriteString(s string) (int, error) {
	if !h.ok() {
		return 0, api.ErrNotSerialized
	}
	return h.ex.out.WriteString(s)
}

func (h *handle) Flush() error {
	if !h.ok() {
		return api.ErrNotSerialized
	}
	return h.ex.out.Flush()
}

func (h *handle) Committed() bool {
	if !h.ok() {
		return false
	}
	return h.ex.out.Committed()
}

func (h *handle) Reset() error {
	if !h.ok() {
		return api.ErrNotSerialized
	}
	return h.ex.out.Reset()
}

func (h *handle) Trailer() http.Header {
	if !h.ok() {
		return http.Header{}
	}
	return h.ex.out.Trailer()
}

// Hijack takes over the connection if the output supports it. The exchange
// then completes without writing anything more.
func (h *handle) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !h.ok() {
		return nil, nil, api.ErrNotSerialized
	}
	return api.Hijack(h.ex.out)
}
