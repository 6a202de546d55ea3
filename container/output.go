package container

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
)

// output is the container's Response: it buffers the body so that small
// responses go out in one write with a Content-Length, and commits the head
// to the stream when the buffer fills or on Flush. It is not safe for
// concurrent use; async's handles guarantee a single serialized user.
type output struct {
	s         connector.Stream
	status    int
	header    http.Header
	trailer   http.Header
	buf       []byte
	pooled    *outBuf    // where buf came from, if from the pool
	pool      *sync.Pool // of *outBuf: small body buffers shared by requests
	size      int
	committed bool
	hijacked  bool
	finished  bool
	err       error // sticky stream error
}

var (
	_ api.Response = (*output)(nil)
	_ api.Hijacker = (*output)(nil)
)

func (o *output) init(s connector.Stream, size int, pool *sync.Pool) {
	o.s = s
	o.size = size
	o.pool = pool
}

// outBuf is a pooled body buffer. Small responses, the common case, borrow
// one for the life of the response instead of allocating their own.
type outBuf struct{ b []byte }

// pooledCap is the capacity of pooled buffers; larger ones are not kept.
const pooledCap = 2048

// grow makes room in the buffer for n more bytes, borrowing a pooled buffer
// first.
func (o *output) grow(n int) {
	if o.buf != nil {
		return // append grows it
	}
	if n <= pooledCap && o.pool != nil {
		ob, _ := o.pool.Get().(*outBuf)
		if ob == nil {
			ob = &outBuf{b: make([]byte, 0, pooledCap)}
		}
		o.pooled, o.buf = ob, ob.b[:0]
		return
	}
	o.buf = make([]byte, 0, min(o.size, max(n, 512)))
}

// release gives a pooled buffer back once the response no longer needs it.
func (o *output) release() {
	if o.pooled == nil {
		return
	}
	if cap(o.buf) == pooledCap {
		o.pooled.b = o.buf[:0]
		o.pool.Put(o.pooled)
	}
	o.pooled, o.buf = nil, nil
}

// Header returns the header fields, made on first use: a suspended request
// that has not touched them holds none.
func (o *output) Header() http.Header {
	if o.header == nil {
		o.header = make(http.Header)
	}
	return o.header
}

func (o *output) Status() int {
	if o.status == 0 {
		return http.StatusOK
	}
	return o.status
}

func (o *output) SetStatus(code int) error {
	if o.committed {
		return api.ErrCommitted
	}
	if code < 100 || code > 999 {
		return &api.StatusError{Code: http.StatusInternalServerError, Err: errBadStatus(code)}
	}
	o.status = code
	return nil
}

type errBadStatus int

func (e errBadStatus) Error() string { return "container: invalid status code " + strconv.Itoa(int(e)) }

func (o *output) check() error {
	switch {
	case o.hijacked:
		return api.ErrHijacked
	case o.finished:
		return api.ErrCompleted
	}
	return o.err
}

func (o *output) Write(p []byte) (int, error) {
	if err := o.check(); err != nil {
		return 0, err
	}
	if !o.committed {
		if len(o.buf)+len(p) <= o.size {
			o.grow(len(p))
			o.buf = append(o.buf, p...)
			return len(p), nil
		}
		if err := o.commit(-1); err != nil {
			return 0, err
		}
	}
	if err := o.s.WriteBody(p); err != nil {
		o.err = err
		return 0, err
	}
	return len(p), nil
}

func (o *output) WriteString(s string) (int, error) {
	// Buffered, the string is appended without converting it first.
	if err := o.check(); err == nil && !o.committed && len(o.buf)+len(s) <= o.size {
		o.grow(len(s))
		o.buf = append(o.buf, s...)
		return len(s), nil
	}
	return o.Write([]byte(s))
}

func (o *output) Flush() error {
	if err := o.check(); err != nil {
		return err
	}
	if !o.committed {
		if err := o.commit(-1); err != nil {
			return err
		}
	}
	if err := o.s.Flush(); err != nil {
		o.err = err
		return err
	}
	return nil
}

func (o *output) Committed() bool { return o.committed }

func (o *output) Reset() error {
	if o.committed {
		return api.ErrCommitted
	}
	o.reset()
	return nil
}

func (o *output) reset() {
	o.status = 0
	clear(o.header)
	o.trailer = nil
	o.buf = o.buf[:0]
}

func (o *output) Trailer() http.Header {
	if o.trailer == nil {
		o.trailer = make(http.Header)
	}
	return o.trailer
}

func (o *output) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if err := o.check(); err != nil {
		return nil, nil, err
	}
	nc, rw, err := o.s.Hijack()
	if err == nil {
		o.hijacked = true
	}
	return nc, rw, err
}

// commit sends the head, then the buffered body. length is the body length
// when known.
func (o *output) commit(length int64) error {
	o.committed = true
	if o.header.Get("Content-Type") == "" && len(o.buf) > 0 && o.Status() != http.StatusNoContent {
		o.Header().Set("Content-Type", http.DetectContentType(o.buf))
	}
	if v := o.header.Get("Content-Length"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			length = n
		}
	}
	var trailers []string
	for k := range o.trailer {
		trailers = append(trailers, k)
	}
	if err := o.s.WriteHead(o.Status(), o.header, length, trailers); err != nil {
		o.err = err
		return err
	}
	if len(o.buf) > 0 {
		err := o.s.WriteBody(o.buf)
		o.buf = o.buf[:0]
		if err != nil {
			o.err = err
			return err
		}
	}
	return nil
}

// finish commits if needed (with the buffered length) and ends the stream.
func (o *output) finish() {
	if o.finished || o.hijacked {
		return
	}
	defer o.release()
	if !o.committed {
		if err := o.commit(int64(len(o.buf))); err != nil {
			o.finished = true
			o.s.Abort(err)
			return
		}
	}
	o.finished = true
	if o.err != nil {
		o.s.Abort(o.err)
		return
	}
	if err := o.s.Finish(o.trailer); err != nil {
		o.err = err
	}
}
