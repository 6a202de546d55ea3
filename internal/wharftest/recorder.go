// Package wharftest holds test helpers shared by Wharf's packages: a
// recording api.Response, plain requests, an in-memory exchange.Exchange (the async engine) driven
// without a container or a network, and slog handlers for tests.
//
// It imports api, continuation, internal/exchange and internal/ssewire (plus
// the standard library).
package wharftest

import (
	"bytes"
	"context"
	"net/http"
	"net/textproto"
	"sync"

	"github.com/wharf-go/wharf/api"
)

// Recorder is an api.Response that keeps everything in memory. Like a real
// response, its status and header fields are frozen when it commits (on
// Flush or Finish): later changes are discarded, so tests catch filters that
// set headers too late.
//
// A mutex makes snapshots taken from the test goroutine safe; the
// serialization of the writers is the code under test's business.
type Recorder struct {
	mu        sync.Mutex
	code      int
	header    http.Header
	sent      http.Header // header as committed; nil before commit
	trailer   http.Header
	body      bytes.Buffer
	committed bool
	finished  bool
	flushes   int
}

var _ api.Response = (*Recorder)(nil)

// NewRecorder returns an empty, uncommitted Recorder.
func NewRecorder() *Recorder { return &Recorder{header: make(http.Header)} }

// Header returns the live header before commit and a detached copy after.
func (r *Recorder) Header() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.committed {
		return r.sent.Clone()
	}
	return r.header
}

// Status returns the status set so far, 200 if none.
func (r *Recorder) Status() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// SetStatus sets the status; api.ErrCommitted after commit.
func (r *Recorder) SetStatus(code int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.committed {
		return api.ErrCommitted
	}
	r.code = code
	return nil
}

// Write appends to the body; api.ErrCompleted after Finish.
func (r *Recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return 0, api.ErrCompleted
	}
	return r.body.Write(p)
}

// WriteString is Write for a string.
func (r *Recorder) WriteString(s string) (int, error) { return r.Write([]byte(s)) }

// Flush commits the response and counts the call.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return api.ErrCompleted
	}
	r.commitLocked()
	r.flushes++
	return nil
}

func (r *Recorder) commitLocked() {
	if !r.committed {
		r.committed = true
		r.sent = r.header.Clone()
	}
}

// Committed reports whether the head was "sent".
func (r *Recorder) Committed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.committed
}

// Reset clears status, header and body; api.ErrCommitted after commit.
func (r *Recorder) Reset() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.committed {
		return api.ErrCommitted
	}
	r.code = 0
	clear(r.header)
	r.body.Reset()
	return nil
}

// Trailer returns the trailer fields.
func (r *Recorder) Trailer() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.trailer == nil {
		r.trailer = make(http.Header)
	}
	return r.trailer
}

// Finish commits the response and refuses further writes, as a container
// does when the request completes.
func (r *Recorder) Finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commitLocked()
	r.finished = true
}

// Body returns the body written so far.
func (r *Recorder) Body() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body.String()
}

// BodyBytes returns a copy of the body written so far.
func (r *Recorder) BodyBytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.body.Bytes())
}

// Flushes returns how many times Flush was called.
func (r *Recorder) Flushes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushes
}

// Finished reports whether Finish was called.
func (r *Recorder) Finished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finished
}

// Result returns the header as it was committed, or the live header's copy
// if the response never committed.
func (r *Recorder) Result() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.committed {
		return r.sent.Clone()
	}
	return r.header.Clone()
}

// TrailerSnapshot returns a copy of the trailer fields.
func (r *Recorder) TrailerSnapshot() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.trailer.Clone()
}

// Head returns a GET request head for target with the given header fields,
// given as name, value pairs.
func Head(method, target string, kv ...string) *api.RequestHead {
	if len(kv)%2 != 0 {
		panic("wharftest: odd header list")
	}
	h := make(http.Header)
	for i := 0; i < len(kv); i += 2 {
		h.Add(textproto.CanonicalMIMEHeaderKey(kv[i]), kv[i+1])
	}
	path, query, _ := bytes.Cut([]byte(target), []byte("?"))
	return &api.RequestHead{
		Method: method, Target: target, Path: string(path), RawQuery: string(query),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Host: "example.com",
		Header: api.NewHeader(h), Conn: &api.ConnInfo{RemoteAddr: "192.0.2.1:1234", LocalAddr: "192.0.2.2:80"},
	}
}

// Request returns a Request that belongs to no exchange, as a unit test of a
// filter needs.
func Request(method, target string, kv ...string) *api.Request {
	return api.NewRequest(context.Background(), Head(method, target, kv...), nil)
}

// TypeHolder is a Recorder that holds a type set with api.SetContentType
// as the container's Response does: without a header map until Header is
// first called (which moves the type into it), in the map once there is
// one, cleared by Reset, sent at commit (Flush, Finish), ignored after it.
// A test sees whether a wrapper passed the type on as a type (Held) or set
// it in a map.
type TypeHolder struct {
	*Recorder
	ctype  string
	mapped bool // Header was called: the type goes into the map
}

var _ api.ContentTypeSetter = (*TypeHolder)(nil)

// NewTypeHolder returns an empty TypeHolder.
func NewTypeHolder() *TypeHolder { return &TypeHolder{Recorder: NewRecorder()} }

// SetContentType holds v while there is no map, as the container's does.
func (h *TypeHolder) SetContentType(v string) {
	switch {
	case h.Recorder.Committed():
	case h.mapped || v == "":
		h.Header()["Content-Type"] = []string{v}
	default:
		h.ctype = v
	}
}

// Header moves a held type into the Recorder's header, then returns it.
func (h *TypeHolder) Header() http.Header {
	h.mapped = true
	if h.ctype != "" {
		h.Recorder.Header().Set("Content-Type", h.ctype)
		h.ctype = ""
	}
	return h.Recorder.Header()
}

// Reset drops a held type with the other fields.
func (h *TypeHolder) Reset() error {
	err := h.Recorder.Reset()
	if err == nil {
		h.ctype = ""
	}
	return err
}

// Flush commits with a held type among the fields sent.
func (h *TypeHolder) Flush() error {
	h.send()
	return h.Recorder.Flush()
}

// Finish commits with a held type among the fields sent.
func (h *TypeHolder) Finish() {
	h.send()
	h.Recorder.Finish()
}

// send puts a held type into the fields about to be sent.
func (h *TypeHolder) send() {
	if h.ctype != "" && !h.Recorder.Committed() {
		h.Recorder.Header().Set("Content-Type", h.ctype)
		h.ctype = ""
	}
}

// Held returns the type held and not yet moved into the header.
func (h *TypeHolder) Held() string { return h.ctype }
