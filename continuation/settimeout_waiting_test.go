package continuation_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
)

// SetTimeout from another goroutine, or a task, while the request waits
// (the handler that suspended has returned) restarts the wait: the request
// expires d after the call, or, for d <= 0, waits for Resume. It only set
// the timeout of the next suspension, and the wait ran out the old one.
// Once the wait has ended it is for later suspensions only. The cases run
// on a synctest bubble's clock: the times in the bodies are exact to the
// timer wheel's tick, truncated here to 100 ms.
func TestSetTimeoutWhileWaiting(t *testing.T) {
	tests := []misuseCase{
		{
			name: "continuation, lengthened from another goroutine",
			serve: timed(func(w api.Response, r *api.Request, got func(error), since func() string) error {
				c := continuation.Of(r)
				if c.IsExpired() {
					_, err := w.WriteString("expired after " + since())
					return err
				}
				c.SetTimeout(time.Second)
				got(c.Suspend())
				go func() {
					time.Sleep(500 * time.Millisecond)
					c.SetTimeout(2 * time.Second)
				}()
				return nil
			}),
			want: []error{nil}, code: 200, body: "expired after 2.5s",
		},
		{
			name: "continuation, shortened from another goroutine",
			serve: timed(func(w api.Response, r *api.Request, got func(error), since func() string) error {
				c := continuation.Of(r)
				if c.IsExpired() {
					_, err := w.WriteString("expired after " + since())
					return err
				}
				c.SetTimeout(time.Hour)
				got(c.Suspend())
				go func() {
					time.Sleep(time.Second)
					c.SetTimeout(time.Second)
				}()
				return nil
			}),
			want: []error{nil}, code: 200, body: "expired after 2s",
		},
		{
			name: "continuation, no timeout from another goroutine",
			serve: timed(func(w api.Response, r *api.Request, got func(error), since func() string) error {
				c := continuation.Of(r)
				if !c.IsInitial() {
					_, err := w.WriteString(async.KindOf(r).String() + " after " + since())
					return err
				}
				c.SetTimeout(time.Second)
				got(c.Suspend())
				go func() {
					time.Sleep(500 * time.Millisecond)
					c.SetTimeout(0)
					time.Sleep(10 * time.Second)
					got(c.Resume())
				}()
				return nil
			}),
			want: []error{nil, nil}, code: 200, body: "resumed after 10.5s",
		},
		{
			name: "continuation, an Await shortened from another goroutine",
			serve: timed(func(w api.Response, r *api.Request, got func(error), since func() string) error {
				c := continuation.Of(r)
				c.SetTimeout(time.Hour)
				go func() {
					time.Sleep(time.Second)
					c.SetTimeout(time.Second)
				}()
				ev, _, err := c.Await(context.Background())
				got(err)
				_, err = w.WriteString(ev.String() + " after " + since())
				return err
			}),
			want: []error{nil}, code: 200, body: "expired after 2s",
		},
		{
			name: "continuation, after the Resume: the next suspension",
			serve: timed(func(w api.Response, r *api.Request, got func(error), since func() string) error {
				c := continuation.Of(r)
				switch {
				case c.IsExpired():
					_, err := w.WriteString("expired after " + since())
					return err
				case c.IsResumed():
					got(c.Suspend()) // waits the timeout set after the Resume
					return nil
				}
				c.SetTimeout(time.Hour)
				got(c.Suspend())
				go func() {
					time.Sleep(time.Second)
					got(c.Resume())
					c.SetTimeout(2 * time.Second)
				}()
				return nil
			}),
			want: []error{nil, nil, nil}, code: 200, body: "expired after 3s",
		},
		{
			name: "async, lengthened by a dispatched task",
			serve: timed(func(w api.Response, r *api.Request, got func(error), since func() string) error {
				a, err := async.Start(r)
				got(err)
				if err != nil {
					return err
				}
				a.SetTimeout(time.Second)
				a.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
					w.WriteString("expired after " + since())
					got(a.Complete())
				}})
				go func() {
					time.Sleep(500 * time.Millisecond)
					got(a.Dispatch(func(api.Response) { a.SetTimeout(2 * time.Second) }))
				}()
				return nil
			}),
			want: []error{nil, nil, nil}, code: 200, body: "expired after 2.5s",
		},
		{
			name: "async, shortened from another goroutine",
			serve: timed(func(w api.Response, r *api.Request, got func(error), since func() string) error {
				a, err := async.Start(r)
				got(err)
				if err != nil {
					return err
				}
				a.SetTimeout(time.Hour)
				a.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
					w.WriteString("expired after " + since())
					got(a.Complete())
				}})
				go func() {
					time.Sleep(time.Second)
					a.SetTimeout(time.Second)
				}()
				return nil
			}),
			want: []error{nil, nil}, code: 200, body: "expired after 2s",
		},
		{
			// The chain below filters/timeout knows only the request: its
			// continuation SetTimeout is for its own suspensions, and the
			// async wait it runs in keeps its timeout.
			name: "async, a continuation SetTimeout from another goroutine",
			serve: timed(func(w api.Response, r *api.Request, got func(error), since func() string) error {
				a, err := async.Start(r)
				got(err)
				if err != nil {
					return err
				}
				a.SetTimeout(time.Second)
				a.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
					w.WriteString("expired after " + since())
					got(a.Complete())
				}})
				go func() {
					time.Sleep(500 * time.Millisecond)
					continuation.Of(r).SetTimeout(time.Hour)
				}()
				return nil
			}),
			want: []error{nil, nil}, code: 200, body: "expired after 1s",
		},
	}
	for _, tt := range tests {
		tt.bubble = true
		t.Run(tt.name, tt.run)
	}
}

// timed gives a misuseCase's handler since, which tells the time passed
// since its first pass began, truncated to 100 ms.
func timed(serve func(w api.Response, r *api.Request, got func(error), since func() string) error) func(api.Response, *api.Request, func(error)) error {
	var once sync.Once
	var start time.Time
	since := func() string { return time.Since(start).Truncate(100 * time.Millisecond).String() }
	return func(w api.Response, r *api.Request, got func(error)) error {
		once.Do(func() { start = time.Now() })
		return serve(w, r, got, since)
	}
}
