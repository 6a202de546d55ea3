// Package wharftest holds test helpers shared by Wharf's packages: a
// recording Response and a Channel that runs a handler on an
// async.Exchange without a container or a network.
package wharftest

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/wharf-go/wharf/api"
)

// Recorder is an api.Response that keeps everything in memory. Its
// methods are not synchronized beyond a mutex that makes snapshots safe;
// the serialization under test is the caller's.
type Recorder struct {
	mu        sync.Mutex
	code      int
	header    http.Header
	trailer   http.Header
	body      bytes.Buffer
	committed bool
	flushes   int
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{header: make(http.Header)} }

var _ api.Response = (*Recorder)(nil)

func (r *Recorder) Header() http.Header { return r.header }

func (r *Recorder) Status() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

func (r *Recorder) SetStatus(code int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.committed {
		return api.ErrCommitted
	}
	r.code = code
	return nil
}

func (r *Recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body.Write(p)
}

func (r *Recorder) WriteString(s string) (int, error) { return r.Write([]byte(s)) }

func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.committed = true
	r.flushes++
	return nil
}

func (r *Recorder) Committed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.committed
}

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

func (r *Recorder) Trailer() http.Header {
	if r.trailer == nil {
		r.trailer = make(http.Header)
	}
	return r.trailer
}

// Body returns the body written so far.
func (r *Recorder) Body() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body.String()
}

// Flushes returns how many times Flush was called.
func (r *Recorder) Flushes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushes
}
