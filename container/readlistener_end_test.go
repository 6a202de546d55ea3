package container_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// endListener counts what the listener reads after the handler read pre
// bytes itself, and answers the total when the body ends.
type endListener struct {
	a   *async.Context
	in  *async.Input
	pre int
	n   int
}

func (l *endListener) OnDataAvailable(w api.Response) {
	buf := make([]byte, 16)
	for {
		n, err := l.in.Read(buf)
		l.n += n
		if err != nil {
			return // ErrWouldBlock: called again; EOF: OnAllDataRead comes
		}
	}
}

func (l *endListener) OnAllDataRead(w api.Response) {
	fmt.Fprintf(w, "all data read: %d bytes", l.pre+l.n)
	l.a.Complete()
}

func (l *endListener) OnError(w api.Response, err error) {
	w.SetStatus(http.StatusBadRequest)
	fmt.Fprintf(w, "error after %d bytes: %v", l.pre+l.n, err)
	l.a.Complete()
}

// A read listener set on a body the handler already read, in part or to
// its last byte, gets OnAllDataRead with the whole body counted, as the
// Servlet API's setReadListener calls onAllDataRead on finished input:
// in particular after a blocking read of exactly the declared length,
// which never saw io.EOF, where the epoll connector waited for the socket
// to become readable and the request hung until its async timeout. The
// short timeout answers "timed out" if the listener is never told.
func TestReadListenerAfterBodyRead(t *testing.T) {
	const timeout = 3 * time.Second
	// listening is told when the handler has set its listener, so that a
	// body whose end the client sends late (the last chunk, END_STREAM)
	// ends after the listener waits for it.
	var listening chan struct{}
	build := func(c *container.Container) {
		listening = make(chan struct{}, 1)
		c.HandleFunc("POST /read", func(w api.Response, r *api.Request) error {
			pre, _ := strconv.Atoi(r.QueryValue("pre"))
			var err error
			if r.QueryValue("eof") != "" {
				var b []byte
				b, err = io.ReadAll(r.Body())
				pre = len(b)
			} else {
				_, err = io.ReadFull(r.Body(), make([]byte, pre))
			}
			if err != nil {
				return err
			}
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			a.SetTimeout(timeout)
			a.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
				io.WriteString(w, "timed out")
				a.Complete()
			}})
			l := &endListener{a: a, pre: pre}
			l.in, err = a.SetReadListener(l)
			listening <- struct{}{}
			return err
		})
	}
	type body int
	const (
		sized       body = iota // Content-Length
		unsized                 // chunked on HTTP/1.1: the end comes with the data
		unsizedLate             // chunked: the last chunk (END_STREAM) comes once the listener is set
	)
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range []struct {
			name string
			body body
			size int
			pre  int // read by the handler with io.ReadFull
			eof  bool
		}{
			{name: "empty, none read", body: sized, size: 0},
			{name: "empty, read to EOF", body: sized, size: 0, eof: true},
			{name: "1 byte, none read", body: sized, size: 1},
			{name: "1 byte, exactly read", body: sized, size: 1, pre: 1},
			{name: "1 byte, read to EOF", body: sized, size: 1, eof: true},
			{name: "100 bytes, none read", body: sized, size: 100},
			{name: "100 bytes, all but one read", body: sized, size: 100, pre: 99},
			{name: "100 bytes, exactly read", body: sized, size: 100, pre: 100},
			{name: "100 bytes, read to EOF", body: sized, size: 100, eof: true},
			{name: "chunked, none read", body: unsized, size: 100},
			{name: "chunked, all but one read", body: unsized, size: 100, pre: 99},
			{name: "chunked, all data read", body: unsized, size: 100, pre: 100},
			{name: "chunked, read to EOF", body: unsized, size: 100, eof: true},
			{name: "chunked late end, none read", body: unsizedLate, size: 100},
			{name: "chunked late end, all but one read", body: unsizedLate, size: 100, pre: 99},
			{name: "chunked late end, all data read", body: unsizedLate, size: 100, pre: 100},
		} {
			data := strings.Repeat("x", tt.size)
			u := fmt.Sprintf("%s/read?pre=%d", s.URL, tt.pre)
			if tt.eof {
				u += "&eof=1"
			}
			var rb io.Reader = bytes.NewReader([]byte(data))
			var pw *io.PipeWriter
			switch tt.body {
			case unsized:
				rb = io.MultiReader(strings.NewReader(data)) // no length the client knows
			case unsizedLate:
				var pr *io.PipeReader
				pr, pw = io.Pipe()
				rb = pr
				go func() {
					io.WriteString(pw, data)
					// Unblocked by the handler, or by the test's end
					// when it failed before its listener was set.
					select {
					case <-listening:
					case <-time.After(2 * timeout):
					}
					pw.Close()
				}()
			}
			req, err := http.NewRequest("POST", u, rb)
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != sized {
				req.ContentLength = -1
			}
			got, resp := wharftest.Do(t, s.Client, req)
			select {
			case <-listening: // the handler's, when it was not waited for
			default:
			}
			want := fmt.Sprintf("all data read: %d bytes", tt.size)
			if resp.StatusCode != http.StatusOK || got != want {
				t.Errorf("%s: %d %q, want 200 %q", tt.name, resp.StatusCode, got, want)
			}
		}
	})
}
