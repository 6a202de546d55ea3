package container_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// goneListener reads what comes, signals the first byte, and records its
// last callbacks; OnError completes the request, as a listener that
// cleans up there does.
type goneListener struct {
	a        *async.Context
	in       *async.Input
	readSome chan struct{} // closed at the first byte read
	once     sync.Once

	mu      sync.Mutex
	allRead int
	errs    []error
}

func (l *goneListener) OnDataAvailable(api.Response) {
	buf := make([]byte, 64)
	for {
		n, err := l.in.Read(buf)
		if n > 0 {
			l.once.Do(func() { close(l.readSome) })
		}
		if err != nil {
			return
		}
	}
}

func (l *goneListener) OnAllDataRead(api.Response) {
	l.mu.Lock()
	l.allRead++
	l.mu.Unlock()
	l.a.Complete()
}

func (l *goneListener) OnError(_ api.Response, err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
	l.a.Complete()
}

// A client that leaves in the middle of a body read by a ReadListener
// gets the listener's OnError called once, on every protocol. Where the
// connection notices the client gone before the body's read fails (always
// on HTTP/2, at times on HTTP/3), the request failed first and the
// callbacks the body still had to make were dropped with it: OnError was
// never called, and a listener that cleans up there (a partial upload)
// never did. Where the read fails first (HTTP/1.1) it was called through
// that read.
func TestReadListenerClientGone(t *testing.T) {
	var l *goneListener
	var completed chan struct{}
	build := func(c *container.Container) {
		completed = make(chan struct{})
		l = &goneListener{readSome: make(chan struct{})}
		c.HandleFunc("POST /upload", func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			l.a = a
			a.SetTimeout(time.Minute) // only the client's leaving ends it
			a.AddListener(async.Listener{OnComplete: func(*api.Request, error) { close(completed) }})
			l.in, err = a.SetReadListener(l)
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pr, pw := io.Pipe()
		req, err := http.NewRequestWithContext(ctx, "POST", s.URL+"/upload", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = 1 << 20
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			if resp, err := s.Client.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		if _, err := pw.Write([]byte("the first part of the upload")); err != nil {
			t.Fatal(err)
		}
		<-l.readSome
		cancel() // the client leaves mid-body
		pw.CloseWithError(io.ErrUnexpectedEOF)
		<-sent
		select {
		case <-completed:
		case <-time.After(30 * time.Second):
			t.Fatal("the request did not complete once its client left")
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.allRead != 0 || len(l.errs) != 1 {
			t.Errorf("OnAllDataRead %d times, OnError %d times (%v); want never, once", l.allRead, len(l.errs), l.errs)
		}
	})
}
