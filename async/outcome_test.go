package async_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// writeResult is an async task that answers but forgets to Complete: its
// output stays uncommitted (or not, with flush) until something else ends
// the request.
func writeResult(flush bool) async.Func {
	return func(w api.Response) {
		w.Header().Set("X-Kept", "1")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `"r"`)
		w.SetStatus(201)
		w.WriteString("result")
		if flush {
			w.Flush()
		}
	}
}

// TestOneOutcomePerResponse proves that the timeout path and the error
// path answer alone: what earlier tasks left uncommitted is discarded
// first (body, status, the fields that describe the body), the other
// header fields stay, and committed output is followed, not replaced.
func TestOneOutcomePerResponse(t *testing.T) {
	errGone := errors.New("client gone")
	tests := []struct {
		name string
		// setup runs in the initial dispatch: it suspends and queues the
		// task that writes the result. It returns what ends the request
		// once that task has run (nil: the timeout).
		setup    func(t *testing.T, x **wharftest.Exchange, r *api.Request) func()
		code     int
		body     string
		header   map[string]string // "" means absent
		end      async.End
		errIs    error
		onErrSaw string // the body the OnError listener saw, if it ran
	}{
		{
			name: "timeout listener answers",
			setup: func(t *testing.T, _ **wharftest.Exchange, r *api.Request) func() {
				a, _ := async.Start(r)
				a.SetTimeout(time.Second)
				a.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
					w.SetStatus(504)
					w.WriteString("timed out")
					a.Complete()
				}})
				a.Dispatch(writeResult(false))
				return nil
			},
			code: 504, body: "timed out", header: map[string]string{"X-Kept": "1", "Content-Type": "", "Etag": ""},
			end: async.EndExpired,
		},
		{
			name: "committed output is followed",
			setup: func(t *testing.T, _ **wharftest.Exchange, r *api.Request) func() {
				a, _ := async.Start(r)
				a.SetTimeout(time.Second)
				a.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
					if err := w.SetStatus(504); !errors.Is(err, api.ErrCommitted) {
						t.Errorf("SetStatus after commit: %v", err)
					}
					w.WriteString("timed out")
					a.Complete()
				}})
				a.Dispatch(writeResult(true))
				return nil
			},
			code: 201, body: "resulttimed out", header: map[string]string{"X-Kept": "1", "Content-Type": "application/json", "Etag": `"r"`},
			end: async.EndExpired,
		},
		{
			name: "expired re-dispatch answers",
			setup: func(t *testing.T, _ **wharftest.Exchange, r *api.Request) func() {
				ex := exchange.From(r)
				ex.SetTimeout(time.Second)
				ex.Suspend(exchange.ModeContinuation)
				ex.Submit(writeResult(false), nil)
				return nil
			},
			code: 200, body: "expired", header: map[string]string{"X-Kept": "1", "Content-Type": ""},
			end: async.EndExpired,
		},
		{
			name: "async timeout error",
			setup: func(t *testing.T, _ **wharftest.Exchange, r *api.Request) func() {
				a, _ := async.Start(r)
				a.SetTimeout(time.Second)
				a.Dispatch(writeResult(false))
				return nil
			},
			code: 500, body: "", header: map[string]string{"X-Kept": "1", "Content-Type": "", "Etag": ""},
			end: async.EndExpired, errIs: api.ErrAsyncTimeout,
		},
		{
			name: "IO failure",
			setup: func(t *testing.T, x **wharftest.Exchange, r *api.Request) func() {
				a, _ := async.Start(r)
				a.SetTimeout(-1)
				a.Dispatch(writeResult(false))
				return func() { (*x).Fail(errGone) }
			},
			code: 500, body: "", header: map[string]string{"X-Kept": "1", "Content-Type": ""},
			errIs: errGone, onErrSaw: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var x *wharftest.Exchange
				var end func()
				onErrSaw := "not run"
				x = wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					if async.KindOf(r) == async.DispatchExpired {
						_, err := w.WriteString("expired")
						return err
					}
					end = tt.setup(t, &x, r)
					exchange.From(r).AddListener(async.Listener{OnError: func(api.Response, *api.Request, error) {
						onErrSaw = x.Out.Body()
					}})
					return nil
				}), nil)
				x.Begin()
				synctest.Wait() // the task has written its result
				if end != nil {
					end()
				}
				<-x.Done()
				if code, body := x.Out.Status(), x.Out.Body(); code != tt.code || body != tt.body {
					t.Errorf("response %d %q, want %d %q", code, body, tt.code, tt.body)
				}
				h := x.Out.Result()
				for k, want := range tt.header {
					if got := h.Get(k); got != want {
						t.Errorf("%s = %q, want %q", k, got, want)
					}
				}
				if tt.name == "IO failure" && onErrSaw != tt.onErrSaw {
					t.Errorf("OnError saw the body %q, want %q", onErrSaw, tt.onErrSaw)
				}
				res, ok := x.Result()
				if !ok || res.End != tt.end || !errors.Is(res.Err, tt.errIs) || (tt.errIs == nil) != (res.Err == nil) {
					t.Errorf("Result %+v (ok %v), want end %v, err %v", res, ok, tt.end, tt.errIs)
				}
				if res.Status != tt.code || res.Bytes != int64(len(tt.body)) {
					t.Errorf("Result status %d bytes %d, want %d %d", res.Status, res.Bytes, tt.code, len(tt.body))
				}
			})
		})
	}
}

// TestResultEnd is the table of what decides a Result's End.
func TestResultEnd(t *testing.T) {
	tests := []struct {
		name string
		// handle is the handler; drive, if not nil, acts on the suspended
		// exchange from the test's goroutine.
		handle func(w api.Response, r *api.Request) error
		drive  func(x *wharftest.Exchange)
		want   async.End
	}{
		{
			name:   "plain answer",
			handle: func(w api.Response, r *api.Request) error { _, err := w.WriteString("hi"); return err },
			want:   async.EndAnswered,
		},
		{
			name: "task answers",
			handle: func(w api.Response, r *api.Request) error {
				a, _ := async.Start(r)
				return a.Dispatch(func(w api.Response) { w.WriteString("hi"); a.Complete() })
			},
			want: async.EndAnswered,
		},
		{
			name:   "complete from outside",
			handle: suspendFor(time.Hour),
			drive:  func(x *wharftest.Exchange) { x.Complete() },
			want:   async.EndAnswered,
		},
		{
			name:   "timer",
			handle: suspendFor(time.Second),
			want:   async.EndExpired,
		},
		{
			name:   "Expire",
			handle: suspendFor(time.Hour),
			drive:  func(x *wharftest.Exchange) { x.Expire() },
			want:   async.EndExpired,
		},
		{
			name:   "shutdown expires",
			handle: suspendFor(time.Hour),
			drive:  func(x *wharftest.Exchange) { x.ExpireAs(async.EndShutdown) },
			want:   async.EndShutdown,
		},
		{
			name:   "shutdown completes",
			handle: suspendFor(time.Hour),
			drive:  func(x *wharftest.Exchange) { x.CompleteAs(async.EndShutdown) },
			want:   async.EndShutdown,
		},
		{
			name: "shutdown after the request completed itself",
			handle: func(w api.Response, r *api.Request) error {
				a, _ := async.Start(r)
				return a.Dispatch(func(w api.Response) {
					a.Complete()
					exchange.From(r).CompleteAs(async.EndShutdown) // too late: the outcome is decided
				})
			},
			want: async.EndAnswered,
		},
		{
			name: "expired, then suspended again and resumed",
			handle: func(w api.Response, r *api.Request) error {
				ex := exchange.From(r)
				if async.KindOf(r) == async.DispatchResumed {
					return nil
				}
				ex.SetTimeout(time.Second)
				return ex.Suspend(exchange.ModeContinuation)
			},
			drive: func(x *wharftest.Exchange) {
				time.Sleep(time.Second) // expired: re-dispatched, suspended again
				synctest.Wait()
				if err := x.Resume(); err != nil {
					panic(err)
				}
			},
			want: async.EndAnswered,
		},
		{
			// The OnTimeout listener's Redispatch is the timeout's answer,
			// as the continuation's expired re-dispatch is: a pass that
			// answers at once leaves the End the timeout's.
			name: "timer, a listener re-dispatches",
			handle: func(w api.Response, r *api.Request) error {
				if async.KindOf(r) == async.DispatchResumed {
					_, err := w.WriteString("late")
					return err
				}
				a, err := async.Start(r)
				if err != nil {
					return err
				}
				a.SetTimeout(time.Second)
				a.AddListener(async.Listener{OnTimeout: func(api.Response, *api.Request) { a.Redispatch() }})
				return nil
			},
			want: async.EndExpired,
		},
		{
			name: "continuation expires, re-dispatched",
			handle: func(w api.Response, r *api.Request) error {
				ex := exchange.From(r)
				if async.KindOf(r) != async.DispatchInitial {
					return nil
				}
				ex.SetTimeout(time.Second)
				return ex.Suspend(exchange.ModeContinuation)
			},
			want: async.EndExpired,
		},
		{
			name: "Await expires",
			handle: func(w api.Response, r *api.Request) error {
				ex := exchange.From(r)
				ex.SetTimeout(time.Second)
				if o, _, _ := ex.Await(r.Context()); o != async.Expired {
					return errors.New("not expired")
				}
				return nil
			},
			want: async.EndExpired,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var seen async.Result
				var seenOK bool
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					if async.KindOf(r) == async.DispatchInitial {
						if _, ok := async.ResultOf(r); ok {
							t.Error("a Result before the response finished")
						}
						exchange.From(r).AddListener(async.Listener{OnComplete: func(r *api.Request, _ error) {
							seen, seenOK = async.ResultOf(r)
						}})
					}
					return tt.handle(w, r)
				}), nil)
				x.Begin()
				if tt.drive != nil {
					synctest.Wait()
					tt.drive(x)
				}
				<-x.Done()
				res, ok := x.Result()
				if !ok || res.End != tt.want {
					t.Errorf("End %v (ok %v), want %v", res.End, ok, tt.want)
				}
				if !seenOK || seen != res {
					t.Errorf("OnComplete saw %+v (ok %v), want %+v", seen, seenOK, res)
				}
			})
		})
	}
}

// suspendFor is a handler that suspends (async mode, answered by a
// listener on timeout) for d.
func suspendFor(d time.Duration) func(w api.Response, r *api.Request) error {
	return func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		a.SetTimeout(d)
		a.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
			w.SetStatus(504)
			a.Complete()
		}})
		return nil
	}
}

func TestEndString(t *testing.T) {
	for e, want := range map[async.End]string{
		async.EndAnswered: "answered", async.EndExpired: "expired", async.EndClientGone: "client_gone",
		async.EndShutdown: "shutdown", 9: "unknown",
	} {
		if got := e.String(); got != want {
			t.Errorf("End(%d) = %q, want %q", e, got, want)
		}
	}
	if _, ok := async.ResultOf(wharftest.Request("GET", "/")); ok {
		t.Error("a Result for a request without an exchange")
	}
}

// TestDiscard: the fallback for a Response that is not a Discarder (a
// Reset, then the kept fields again), and nothing once committed.
func TestDiscard(t *testing.T) {
	w := wharftest.NewRecorder()
	w.Header().Set("Allow", "GET")
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Md5", "x")
	w.Header().Set("Trailer", "X-Sum")
	w.SetStatus(201)
	w.WriteString("body")
	if err := async.Discard(w); err != nil {
		t.Fatal(err)
	}
	if w.Body() != "" || w.Status() != 200 || w.Header().Get("Allow") != "GET" || len(w.Header()) != 1 {
		t.Errorf("after Discard: %d %q %v", w.Status(), w.Body(), w.Header())
	}
	w.WriteString("sent")
	w.Flush()
	if err := async.Discard(w); !errors.Is(err, api.ErrCommitted) || w.Body() != "sent" {
		t.Errorf("Discard after commit: %v, body %q", err, w.Body())
	}
}
