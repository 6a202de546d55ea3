package continuation_test

import (
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
)

// A second Complete is refused with api.ErrCompleted wherever it is made,
// as Jetty's AsyncContext.complete() twice is an IllegalStateException:
// also in the task that made the first, which still runs (the response is
// finished when it returns), where it returned nil. The first Complete's
// answer is the one the client reads.
func TestCompleteTwice(t *testing.T) {
	tests := []misuseCase{
		{
			name: "continuation, in the handler that suspended",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				got(c.Suspend())
				w.WriteString("once")
				got(c.Complete())
				got(c.Complete())
				return nil
			},
			want: []error{nil, nil, api.ErrCompleted}, code: 200, body: "once",
		},
		{
			name: "continuation, in a handler that did not suspend",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				w.WriteString("once")
				got(c.Complete())
				got(c.Complete())
				return nil
			},
			want: []error{nil, api.ErrCompleted}, code: 200, body: "once",
		},
		{
			name: "continuation, in the resumed handler",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if c.IsInitial() {
					got(c.Suspend())
					go c.Resume()
					return nil
				}
				w.WriteString("resumed")
				got(c.Complete())
				got(c.Complete())
				return nil
			},
			want: []error{nil, nil, api.ErrCompleted}, code: 200, body: "resumed",
		},
		{
			name: "continuation, in the handler, then from another goroutine",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				got(c.Suspend())
				w.WriteString("once")
				got(c.Complete())
				done := make(chan error)
				go func() { done <- c.Complete() }()
				got(<-done)
				return nil
			},
			want: []error{nil, nil, api.ErrCompleted}, code: 200, body: "once",
		},
		{
			name: "continuation, in an OnTimeout listener",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				c.SetTimeout(time.Millisecond)
				c.AddListener(continuation.Listener{OnTimeout: func(w api.Response, r *api.Request) {
					w.WriteString("listener")
					got(continuation.Of(r).Complete())
					got(continuation.Of(r).Complete())
				}})
				got(c.Suspend())
				return nil
			},
			want: []error{nil, nil, api.ErrCompleted}, code: 200, body: "listener",
		},
		{
			name: "async, in the dispatch that started async mode",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				a, err := async.Start(r)
				got(err)
				if err != nil {
					return err
				}
				w.WriteString("once")
				got(a.Complete())
				got(a.Complete())
				return nil
			},
			want: []error{nil, nil, api.ErrCompleted}, code: 200, body: "once",
		},
		{
			name: "async, in a dispatched task",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				a, err := async.Start(r)
				got(err)
				if err != nil {
					return err
				}
				got(a.Dispatch(func(w api.Response) {
					w.WriteString("task")
					got(a.Complete())
					got(a.Complete())
				}))
				return nil
			},
			want: []error{nil, nil, nil, api.ErrCompleted}, code: 200, body: "task",
		},
		{
			name: "async, then continuation, in one dispatch",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				a, err := async.Start(r)
				got(err)
				if err != nil {
					return err
				}
				w.WriteString("once")
				got(a.Complete())
				got(continuation.Of(r).Complete())
				return nil
			},
			want: []error{nil, nil, api.ErrCompleted}, code: 200, body: "once",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}
