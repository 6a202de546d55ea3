package async_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// nopReader and nopWriter are listeners that take what they are told.
type nopReader struct{}

func (nopReader) OnDataAvailable(api.Response) {}
func (nopReader) OnAllDataRead(api.Response)   {}
func (nopReader) OnError(api.Response, error)  {}
func (nopWriter) OnWritePossible(api.Response) {}
func (nopWriter) OnError(api.Response, error)  {}

type nopWriter struct{}

// A request has one ReadListener and one WriteListener at the most, as in
// the Servlet API (a second setReadListener throws): a second reader
// would race the first for the body's bytes (on the portable connector,
// two read-ahead goroutines on one body), and a second writer would
// interleave its bytes with the first's. The second call is refused with
// api.ErrWrongState, from the same dispatch or from a later async cycle
// of the request, and the first listener goes on.
func TestOneListenerEach(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(a *async.Context) error
	}{
		{"ReadListener", func(a *async.Context) error { _, err := a.SetReadListener(nopReader{}); return err }},
		{"WriteListener", func(a *async.Context) error { _, err := a.SetWriteListener(nopWriter{}); return err }},
	} {
		for _, later := range []bool{false, true} {
			name := tt.name + "/same dispatch"
			if later {
				name = tt.name + "/after a redispatch"
			}
			t.Run(name, func(t *testing.T) {
				var first, second error
				head := wharftest.Head("POST", "/")
				head.Body = io.NopCloser(strings.NewReader("body"))
				x := wharftest.Run(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					a, err := async.Start(r)
					if err != nil {
						return err
					}
					if r.Attribute("again") != nil {
						second = tt.set(a)
						return a.Complete()
					}
					first = tt.set(a)
					if !later {
						second = tt.set(a)
						return a.Complete()
					}
					return a.Redispatch(api.Attr{Key: "again", Value: true})
				}), head)
				if _, ok := x.Exchange.Result(); !ok {
					t.Fatal("the request did not complete")
				}
				if first != nil {
					t.Fatalf("the first listener: %v", first)
				}
				if !errors.Is(second, api.ErrWrongState) || !strings.Contains(second.Error(), tt.name) {
					t.Errorf("the second listener: %v, want api.ErrWrongState naming the %s", second, tt.name)
				}
			})
		}
	}
}

// A listener refused because the request has completed leaves the
// request without one: a second call is refused for the same reason,
// api.ErrCompleted, not for a listener the request never got.
func TestListenerAfterCompletion(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(a *async.Context) error
	}{
		{"ReadListener", func(a *async.Context) error { _, err := a.SetReadListener(nopReader{}); return err }},
		{"WriteListener", func(a *async.Context) error { _, err := a.SetWriteListener(nopWriter{}); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var a *async.Context
			head := wharftest.Head("POST", "/")
			head.Body = io.NopCloser(strings.NewReader("body"))
			x := wharftest.Run(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				var err error
				if a, err = async.Start(r); err != nil {
					return err
				}
				return a.Complete()
			}), head)
			if _, ok := x.Exchange.Result(); !ok {
				t.Fatal("the request did not complete")
			}
			for i := range 2 {
				if err := tt.set(a); !errors.Is(err, api.ErrCompleted) {
					t.Errorf("call %d after the completion: %v, want api.ErrCompleted", i+1, err)
				}
			}
		})
	}
}

// A listener set once the request was completed (Complete called, the
// task that called it still running) or its failure told (Fail, from an
// OnError listener) would never be called back: the callbacks it
// schedules are refused or dropped, and the failure's OnError listeners
// were told without it. It is refused with api.ErrCompleted, as Dispatch
// refuses a task then, and the request still has no listener: a second
// call says the same. A failure not told yet takes the listener and tells
// it (TestListenerBeforeFailureTold).
func TestListenerAfterEnding(t *testing.T) {
	for _, set := range []struct {
		name string
		set  func(a *async.Context) error
	}{
		{"ReadListener", func(a *async.Context) error { _, err := a.SetReadListener(nopReader{}); return err }},
		{"WriteListener", func(a *async.Context) error { _, err := a.SetWriteListener(nopWriter{}); return err }},
	} {
		for _, end := range []struct {
			name string
			// end ends the request and calls try where the listener is
			// set: after the Complete, or in an OnError listener.
			end func(a *async.Context, try func())
		}{
			{"after Complete", func(a *async.Context, try func()) {
				_ = a.Complete()
				try()
			}},
			{"from OnError", func(a *async.Context, try func()) {
				a.AddListener(async.Listener{OnError: func(api.Response, *api.Request, error) { try() }})
				_ = a.Fail(errors.New("boom"))
			}},
		} {
			t.Run(set.name+"/"+end.name, func(t *testing.T) {
				var errs [2]error
				head := wharftest.Head("POST", "/")
				head.Body = io.NopCloser(strings.NewReader("body"))
				x := wharftest.Run(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					a, err := async.Start(r)
					if err != nil {
						return err
					}
					end.end(a, func() {
						for i := range errs {
							errs[i] = set.set(a)
						}
					})
					return nil
				}), head)
				if _, ok := x.Exchange.Result(); !ok {
					t.Fatal("the request did not complete")
				}
				for i, err := range errs {
					if !errors.Is(err, api.ErrCompleted) {
						t.Errorf("call %d: %v, want api.ErrCompleted", i+1, err)
					}
				}
			})
		}
	}
}

// errRecorder is a listener of either kind that records what OnError
// was told.
type errRecorder struct {
	nopReader
	errs []error
}

func (e *errRecorder) OnWritePossible(api.Response)      {}
func (e *errRecorder) OnError(_ api.Response, err error) { e.errs = append(e.errs, err) }

// A listener set while a failure is queued and not told yet (the client
// left while the dispatch runs) is taken, and its OnError is told.
func TestListenerBeforeFailureTold(t *testing.T) {
	boom := errors.New("boom")
	for _, tt := range []struct {
		name string
		set  func(a *async.Context, l *errRecorder) error
	}{
		{"ReadListener", func(a *async.Context, l *errRecorder) error { _, err := a.SetReadListener(l); return err }},
		{"WriteListener", func(a *async.Context, l *errRecorder) error { _, err := a.SetWriteListener(l); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var l errRecorder
			var err error
			head := wharftest.Head("POST", "/")
			head.Body = io.NopCloser(strings.NewReader("body"))
			x := wharftest.Run(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				a, serr := async.Start(r)
				if serr != nil {
					return serr
				}
				_ = a.Fail(boom)
				err = tt.set(a, &l)
				return nil
			}), head)
			if _, ok := x.Exchange.Result(); !ok {
				t.Fatal("the request did not complete")
			}
			if err != nil {
				t.Fatalf("the listener: %v, want it taken", err)
			}
			if len(l.errs) != 1 || !errors.Is(l.errs[0], boom) {
				t.Errorf("OnError told %v, want boom once", l.errs)
			}
		})
	}
}
