package continuation_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// misuseCase is one way a handler coming from net/http or Jetty misuses a
// continuation. Each runs over a real container and socket: the misuse
// must come back as an error, the request answered once, never a panic,
// a hang or a leaked goroutine (TestMain's goleak).
type misuseCase struct {
	name string
	// nonBlocking declares the handler api.NonBlocking.
	nonBlocking bool
	// bubble runs the case in a testing/synctest bubble (see run): its
	// time.Sleep and timeouts are on the bubble's clock.
	bubble bool
	// serve is the handler; it reports what each misuse returned to got.
	serve func(w api.Response, r *api.Request, got func(error)) error
	want  []error // what got was given, in order (nil: no error)
	code  int     // the status the client reads
	body  string
}

func TestMisuse(t *testing.T) {
	resumeLater := func(c continuation.Continuation) { go c.Resume() }
	tests := []misuseCase{
		{
			name: "suspend twice",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if !c.IsInitial() {
					_, err := w.WriteString("resumed")
					return err
				}
				got(c.Suspend())
				got(c.Suspend())
				resumeLater(c)
				return nil
			},
			want: []error{nil, nil}, code: 200, body: "resumed",
		},
		{
			name: "suspend after the response was committed",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if !c.IsInitial() {
					_, err := w.WriteString(" resumed")
					return err
				}
				w.WriteString("head")
				got(w.Flush())
				got(c.Suspend())
				resumeLater(c)
				return nil
			},
			want: []error{nil, nil}, code: 200, body: "head resumed",
		},
		{
			name: "resume before suspend",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				got(c.Resume())
				_, err := w.WriteString("answered")
				return err
			},
			want: []error{api.ErrNotSuspended}, code: 200, body: "answered",
		},
		{
			name: "resume twice",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if !c.IsInitial() {
					_, err := w.WriteString("resumed")
					return err
				}
				got(c.Suspend())
				got(c.Resume())
				got(c.Resume())
				return nil
			},
			want: []error{nil, nil, api.ErrNotSuspended}, code: 200, body: "resumed",
		},
		{
			name: "resume after complete",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				got(c.Suspend())
				w.WriteString("completed")
				got(c.Complete())
				got(c.Resume())
				return nil
			},
			want: []error{nil, nil, api.ErrCompleted}, code: 200, body: "completed",
		},
		{
			name: "complete from another goroutine while the handler runs",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				got(c.Suspend())
				done := make(chan error)
				go func() { done <- c.Complete() }()
				got(<-done)
				_, err := w.WriteString("still mine")
				return err
			},
			want: []error{nil, nil}, code: 200, body: "still mine",
		},
		{
			name: "set timeout after suspend",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if c.IsExpired() {
					_, err := w.WriteString("expired")
					return err
				}
				got(c.Suspend())
				c.SetTimeout(time.Millisecond) // still the suspending dispatch: it counts
				return nil
			},
			want: []error{nil}, code: 200, body: "expired",
		},
		{
			name: "timeout of zero waits for resume",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if !c.IsInitial() {
					_, err := w.WriteString(async.KindOf(r).String())
					return err
				}
				c.SetTimeout(0)
				got(c.Suspend())
				go func() { time.Sleep(20 * time.Millisecond); c.Resume() }()
				return nil
			},
			want: []error{nil}, code: 200, body: "resumed",
		},
		{
			name: "negative timeout waits for resume",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if !c.IsInitial() {
					_, err := w.WriteString(async.KindOf(r).String())
					return err
				}
				c.SetTimeout(-time.Second)
				got(c.Suspend())
				go func() { time.Sleep(20 * time.Millisecond); c.Resume() }()
				return nil
			},
			want: []error{nil}, code: 200, body: "resumed",
		},
		{
			name: "suspend in a NonBlocking handler", nonBlocking: true,
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if !c.IsInitial() {
					_, err := w.WriteString("resumed")
					return err
				}
				got(c.Suspend())
				resumeLater(c)
				return nil
			},
			want: []error{nil}, code: 200, body: "resumed",
		},
		{
			name: "await in a NonBlocking handler", nonBlocking: true,
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				c.SetTimeout(20 * time.Millisecond)
				ev, _, err := c.Await(context.Background())
				got(err)
				if err != nil {
					return err
				}
				_, err = w.WriteString(ev.String())
				return err
			},
			// Blocked there, the wait stopped the selector that was to
			// fire its timeout: the request hung.
			want: []error{api.ErrWouldBlock}, code: 500,
		},
		{
			name: "await after suspend in a NonBlocking handler", nonBlocking: true,
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				got(c.Suspend()) // lifts the rule, but the goroutine is the selector still
				c.SetTimeout(20 * time.Millisecond)
				_, _, err := c.Await(context.Background())
				got(err)
				return err
			},
			want: []error{nil, api.ErrWouldBlock}, code: 500,
		},
		{
			name: "complete twice in the handler",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				got(c.Suspend())
				w.WriteString("once")
				got(c.Complete())
				got(c.Complete()) // refused, though the response is finished only when the handler returns
				return nil
			},
			want: []error{nil, nil, api.ErrCompleted}, code: 200, body: "once",
		},
		{
			name: "complete twice from another goroutine",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				got(c.Suspend())
				w.WriteString("once")
				// The hook runs inside the goroutine's Complete, or when the
				// handler returns if that comes later: its answer is handed
				// over so that the two are recorded in one order either way.
				hook := make(chan error, 1)
				got(async.OnComplete(r, func(error) { hook <- c.Complete() }))
				go func() {
					got(c.Complete())
					got(<-hook)
				}()
				return nil
			},
			want: []error{nil, nil, nil, api.ErrCompleted}, code: 200, body: "once",
		},
		{
			name: "async.Start on a derived request",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				d := r.WithAttribute(eventKey{}, "derived")
				a, err := async.Start(d)
				got(err)
				if err != nil {
					return err
				}
				got(a.Dispatch(func(w api.Response) {
					w.WriteString(a.Request().Attribute(eventKey{}).(string))
					got(a.Complete())
				}))
				return nil
			},
			want: []error{nil, nil, nil}, code: 200, body: "derived",
		},
		{
			name: "handler returns an error after suspend",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				got(c.Suspend())
				go func() {
					time.Sleep(10 * time.Millisecond)
					got(c.Resume())
				}()
				return errors.New("boom")
			},
			want: []error{nil, api.ErrCompleted}, code: 500,
		},
		{
			name: "handler returns an error after a resume",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if !c.IsInitial() {
					_, err := w.WriteString("resumed")
					return err
				}
				got(c.Suspend())
				got(c.Resume()) // accepted: the re-dispatch waits for the return
				return errors.New("boom")
			},
			// The error ends the request: the accepted Resume
			// re-dispatches nothing.
			want: []error{nil, nil}, code: 500,
		},
		{
			name: "handler panics after a resume",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if !c.IsInitial() {
					_, err := w.WriteString("resumed")
					return err
				}
				got(c.Suspend())
				got(c.Resume())
				panic("boom")
			},
			want: []error{nil, nil}, code: 500,
		},
		{
			name: "listener added after suspend",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if c.IsExpired() {
					return nil
				}
				c.SetTimeout(time.Millisecond)
				got(c.Suspend())
				c.AddListener(continuation.Listener{OnTimeout: func(w api.Response, r *api.Request) {
					w.WriteString("listener")
					got(continuation.Of(r).Complete())
				}})
				return nil
			},
			want: []error{nil, nil}, code: 200, body: "listener",
		},
		{
			name: "panic in a listener",
			serve: func(w api.Response, r *api.Request, got func(error)) error {
				c := continuation.Of(r)
				if c.IsExpired() {
					_, err := w.WriteString("expired")
					return err
				}
				c.SetTimeout(time.Millisecond)
				c.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) { panic("listener") }})
				got(c.Suspend())
				return nil
			},
			want: []error{nil}, code: 500,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// run serves tt.serve on a container and checks what one GET of it
// answers and what the handler's calls returned. With tt.bubble it runs in
// a testing/synctest bubble, the container on in-memory pipes, so that the
// case's waits and timeouts run on the bubble's clock; otherwise over a
// real socket.
func (tt misuseCase) run(t *testing.T) {
	if tt.bubble {
		synctest.Test(t, tt.exchange)
		return
	}
	tt.exchange(t)
}

// exchange is run's body, in the bubble or out of it.
func (tt misuseCase) exchange(t *testing.T) {
	var mu sync.Mutex
	var got []error
	record := func(err error) { mu.Lock(); got = append(got, err); mu.Unlock() }
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	var h api.Handler = api.HandlerFunc(func(w api.Response, r *api.Request) error { return tt.serve(w, r, record) })
	if tt.nonBlocking {
		h = api.NonBlockingFunc(func(w api.Response, r *api.Request) error { return tt.serve(w, r, record) })
	}
	c.Handle("/", h)
	client := &http.Client{Timeout: 5 * time.Second}
	addr := "pipe"
	if tt.bubble {
		l := wharftest.NewPipeListener()
		wharftest.ListenOn(t, c, l)
		// The bubble's clock: a minute costs nothing, and lets a case
		// wait longer than a real-time client would.
		client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: l.Dial}}
	} else {
		addr = wharftest.Listen(t, c)
	}
	defer client.CloseIdleConnections()
	res, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != tt.code || (tt.body != "" && string(body) != tt.body) {
		t.Errorf("answer %d %q, want %d %q", res.StatusCode, body, tt.code, tt.body)
	}
	wharftest.WaitFor(t, "every call recorded", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= len(tt.want) })
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(tt.want) {
		t.Fatalf("calls returned %v, want %v", got, tt.want)
	}
	for i := range got {
		if !errors.Is(got[i], tt.want[i]) || (got[i] == nil) != (tt.want[i] == nil) {
			t.Errorf("call %d returned %v, want %v", i, got[i], tt.want[i])
		}
	}
}

// A Continuation kept from an earlier request of a keep-alive connection
// is that request's still: used during the next request on the connection,
// it is refused as completed and leaves the new request alone.
func TestMisuseContinuationOfEarlierRequest(t *testing.T) {
	for _, portable := range []bool{false, true} {
		t.Run(map[bool]string{false: "epoll", true: "portable"}[portable], func(t *testing.T) {
			var opts []container.Option
			if portable {
				opts = append(opts, container.WithPortableConnector())
			}
			c := container.New(opts...)
			var mu sync.Mutex // the socket orders the two, but -race cannot see it
			var old continuation.Continuation
			var got []error
			var oldSuspended bool
			c.HandleFunc("/first", func(w api.Response, r *api.Request) error {
				mu.Lock()
				old = continuation.Of(r)
				mu.Unlock()
				_, err := w.WriteString("first")
				return err
			})
			c.HandleFunc("/second", func(w api.Response, r *api.Request) error {
				cc := continuation.Of(r)
				if !cc.IsInitial() {
					_, err := w.WriteString("second " + async.KindOf(r).String())
					return err
				}
				cc.SetTimeout(time.Hour)
				if err := cc.Suspend(); err != nil {
					return err
				}
				mu.Lock()
				oldSuspended = old.IsSuspended()
				got = append(got, old.Resume(), old.Complete(), old.Suspend())
				mu.Unlock()
				go cc.Resume()
				return nil
			})
			addr := wharftest.Listen(t, c)
			_, bodies, _ := wharftest.RoundTrip(t, addr,
				"GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n", 2)
			if len(bodies) != 2 || bodies[0] != "first" || bodies[1] != "second resumed" {
				t.Fatalf("bodies = %q", bodies)
			}
			mu.Lock()
			defer mu.Unlock()
			if oldSuspended {
				t.Error("the earlier request's continuation reports suspended")
			}
			want := []error{api.ErrCompleted, api.ErrCompleted, api.ErrNotSerialized}
			for i := range want {
				if !errors.Is(got[i], want[i]) {
					t.Errorf("call %d on the earlier continuation = %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}
