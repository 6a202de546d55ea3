package requestlog_test

import (
	"bufio"
	"errors"
	"log/slog"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/filters/requestlog"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// checkAttrs compares a record's attributes with want; "error" absent from
// want means the record must have none.
func checkAttrs(t *testing.T, rec wharftest.Record, want map[string]any) {
	t.Helper()
	if _, ok := want["error"]; !ok {
		if v, has := rec.Attrs["error"]; has {
			t.Errorf("unexpected error attribute %v", v)
		}
	}
	for k, v := range want {
		if got := rec.Attrs[k].Any(); got != v {
			t.Errorf("%s = %v (%T), want %v (%T)", k, got, got, v, v)
		}
	}
}

// TestRecord covers requests without a container: one record at the end of
// their one pass.
func TestRecord(t *testing.T) {
	tests := []struct {
		name    string
		handler api.HandlerFunc
		want    map[string]any
		wantErr bool
	}{
		{
			name: "ok",
			handler: func(w api.Response, r *api.Request) error {
				w.SetStatus(201)
				w.Write([]byte("hello"))
				w.WriteString(" world")
				return nil
			},
			want: map[string]any{"status": int64(201), "bytes": int64(11)},
		},
		{
			name: "error status",
			handler: func(w api.Response, r *api.Request) error {
				w.WriteString("partial")
				return api.Error(404, "nope")
			},
			want:    map[string]any{"status": int64(404), "bytes": int64(7), "error": "404 Not Found: nope"},
			wantErr: true,
		},
		{
			name:    "plain error is 500",
			handler: func(w api.Response, r *api.Request) error { return errors.New("x") },
			want:    map[string]any{"status": int64(500), "bytes": int64(0), "error": "x"},
			wantErr: true,
		},
		{
			name: "reset discards counted bytes",
			handler: func(w api.Response, r *api.Request) error {
				w.WriteString("discarded")
				if err := w.Reset(); err != nil {
					return err
				}
				w.WriteString("ok")
				return nil
			},
			want: map[string]any{"status": int64(200), "bytes": int64(2)},
		},
		{
			name: "reset after commit keeps the count",
			handler: func(w api.Response, r *api.Request) error {
				w.WriteString("sent")
				w.Flush()
				w.Reset()
				return nil
			},
			want: map[string]any{"status": int64(200), "bytes": int64(4)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs, logger := wharftest.NewLogRecorder()
			h := api.Compose(tt.handler, requestlog.New(requestlog.Config{Logger: logger, Level: slog.LevelDebug, Passes: true}))
			err := h.Serve(wharftest.NewRecorder(), wharftest.Request("POST", "/a/b?q=1"))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			recs := logs.Records()
			if len(recs) != 1 {
				t.Fatalf("%d records", len(recs))
			}
			rec := recs[0]
			if rec.Level != slog.LevelDebug || rec.Message != "request" {
				t.Errorf("level %v message %q", rec.Level, rec.Message)
			}
			want := map[string]any{"method": "POST", "path": "/a/b", "remote": "192.0.2.1:1234",
				"end": "answered", "proto": "HTTP/1.1"}
			for k, v := range tt.want {
				want[k] = v
			}
			checkAttrs(t, rec, want)
			if d, ok := rec.Attrs["duration"]; !ok || d.Kind() != slog.KindDuration {
				t.Errorf("duration = %v", d)
			}
		})
	}
}

func TestDisabledLevelSkipsWrapping(t *testing.T) {
	logs, logger := wharftest.NewLogRecorder()
	logs.Level = slog.LevelWarn
	var got api.Response
	w := wharftest.NewRecorder()
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error { got = w; return nil }),
		requestlog.New(requestlog.Config{Logger: logger}))
	h.Serve(w, wharftest.Request("GET", "/"))
	if got != api.Response(w) || len(logs.Records()) != 0 {
		t.Fatalf("disabled logger: wrapped=%v records=%d", got != api.Response(w), len(logs.Records()))
	}
}

type hijackRecorder struct{ *wharftest.Recorder }

func (hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("hijacked")
}

func TestWrapperKeepsCapabilities(t *testing.T) {
	_, logger := wharftest.NewLogRecorder()
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		if _, ok := w.(api.Hijacker); ok {
			t.Error("expected a wrapper, got the recorder itself")
		}
		_, _, err := api.Hijack(w)
		return err
	}), requestlog.New(requestlog.Config{Logger: logger}))
	if err := h.Serve(hijackRecorder{wharftest.NewRecorder()}, wharftest.Request("GET", "/")); err == nil || err.Error() != "hijacked" {
		t.Fatalf("Hijack through wrapper: %v", err)
	}
}

// TestOutcome proves that a request run by an exchange gets one record,
// when it completes, with what was sent, whichever task sent it, and how
// it ended; the duration counts the time it was suspended.
func TestOutcome(t *testing.T) {
	tests := []struct {
		name   string
		handle func(w api.Response, r *api.Request) error
		want   map[string]any
	}{
		{
			name:   "plain",
			handle: func(w api.Response, r *api.Request) error { _, err := w.WriteString("hello"); return err },
			want:   map[string]any{"status": int64(200), "bytes": int64(5), "end": "answered"},
		},
		{
			name: "an async task answers",
			handle: func(w api.Response, r *api.Request) error {
				a, err := async.Start(r)
				if err != nil {
					return err
				}
				go func() {
					time.Sleep(3 * time.Second) // the work (a fake clock: synctest)
					a.Dispatch(func(w api.Response) {
						w.SetStatus(201)
						w.WriteString("from a task")
						a.Complete()
					})
				}()
				return nil
			},
			want: map[string]any{"status": int64(201), "bytes": int64(11), "end": "answered", "duration": 3 * time.Second},
		},
		{
			name: "async timeout",
			handle: func(w api.Response, r *api.Request) error {
				a, err := async.Start(r)
				a.SetTimeout(2 * time.Second)
				return err
			},
			want: map[string]any{"status": int64(500), "bytes": int64(0), "end": "expired",
				"error": api.ErrAsyncTimeout.Error(), "duration": 2 * time.Second},
		},
		{
			name: "timeout listener answers",
			handle: func(w api.Response, r *api.Request) error {
				a, err := async.Start(r)
				if err != nil {
					return err
				}
				a.SetTimeout(time.Second)
				a.AddListener(async.Listener{OnTimeout: func(w api.Response, r *api.Request) {
					w.SetStatus(504)
					w.WriteString("late")
					a.Complete()
				}})
				return nil
			},
			want: map[string]any{"status": int64(504), "bytes": int64(4), "end": "expired", "duration": time.Second},
		},
		{
			name: "expired re-dispatch answers",
			handle: func(w api.Response, r *api.Request) error {
				ex := exchange.From(r)
				if async.KindOf(r) == async.DispatchExpired {
					w.SetStatus(504)
					return nil
				}
				ex.SetTimeout(time.Second)
				return ex.Suspend(exchange.ModeContinuation)
			},
			want: map[string]any{"status": int64(504), "bytes": int64(0), "end": "expired"},
		},
		{
			name: "resumed",
			handle: func(w api.Response, r *api.Request) error {
				ex := exchange.From(r)
				if async.KindOf(r) == async.DispatchResumed {
					_, err := w.WriteString("done")
					return err
				}
				ex.SetTimeout(time.Minute)
				if err := ex.Suspend(exchange.ModeContinuation); err != nil {
					return err
				}
				go func() { time.Sleep(time.Second); ex.Resume() }()
				return nil
			},
			want: map[string]any{"status": int64(200), "bytes": int64(4), "end": "answered", "duration": time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				logs, logger := wharftest.NewLogRecorder()
				h := api.Compose(api.HandlerFunc(tt.handle), requestlog.New(requestlog.Config{Logger: logger}))
				x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/work?x=1"), nil).Begin()
				<-x.Done()
				recs := logs.Records()
				if len(recs) != 1 {
					t.Fatalf("%d records: %+v", len(recs), recs)
				}
				if recs[0].Message != "request" {
					t.Errorf("message %q", recs[0].Message)
				}
				want := map[string]any{"method": "GET", "path": "/work", "proto": "HTTP/1.1", "remote": "192.0.2.1:1234"}
				for k, v := range tt.want {
					want[k] = v
				}
				if _, ok := want["duration"]; !ok {
					want["duration"] = recs[0].Attrs["duration"].Any() // any
				}
				checkAttrs(t, recs[0], want)
			})
		})
	}
}

// TestPasses: with Passes, each pass through the chain has its record too,
// and the completion still has one.
func TestPasses(t *testing.T) {
	logs, logger := wharftest.NewLogRecorder()
	var a *async.Context
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		if async.KindOf(r) == async.DispatchInitial {
			var err error
			a, err = async.Start(r)
			return err
		}
		_, err := w.WriteString("done")
		return err
	}), requestlog.New(requestlog.Config{Logger: logger, Passes: true}))
	x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/wait"), nil).Begin()
	if err := a.Redispatch(); err != nil {
		t.Fatal(err)
	}
	<-x.Done()
	recs := logs.Records()
	if len(recs) != 3 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	check := func(rec wharftest.Record, msg string, want map[string]any) {
		t.Helper()
		if rec.Message != msg {
			t.Errorf("message %q, want %q", rec.Message, msg)
		}
		checkAttrs(t, rec, want)
	}
	check(recs[0], "request pass", map[string]any{"dispatch": "initial", "suspended": true, "bytes": int64(0)})
	check(recs[1], "request pass", map[string]any{"dispatch": "resumed", "suspended": false, "bytes": int64(4)})
	check(recs[2], "request", map[string]any{"end": "answered", "status": int64(200), "bytes": int64(4)})
}

// TestFirstSeenLater: a filter before this one suspended the request, so
// this one first sees it on the resumed pass; it still logs it once.
func TestFirstSeenLater(t *testing.T) {
	logs, logger := wharftest.NewLogRecorder()
	var a *async.Context
	gate := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		if async.KindOf(r) == async.DispatchInitial {
			var err error
			a, err = async.Start(r)
			return err
		}
		return next.Next(w, r)
	})
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("in")
		return err
	}), gate, requestlog.New(requestlog.Config{Logger: logger}))
	x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/gated"), nil).Begin()
	a.Redispatch()
	<-x.Done()
	recs := logs.Records()
	if len(recs) != 1 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	checkAttrs(t, recs[0], map[string]any{"status": int64(200), "bytes": int64(2), "end": "answered"})
}

// A type set through the filter reaches the wrapped Response as a type,
// without a map of the counter's.
func TestSetContentTypePassesOn(t *testing.T) {
	logs, logger := wharftest.NewLogRecorder()
	var held string
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		api.SetContentType(w, "text/plain")
		held = w.(api.Unwrapper).Unwrap().(*wharftest.TypeHolder).Held()
		_, err := w.WriteString("hello")
		return err
	}), requestlog.New(requestlog.Config{Logger: logger}))
	w := wharftest.NewTypeHolder()
	if err := h.Serve(w, wharftest.Request("GET", "/")); err != nil {
		t.Fatal(err)
	}
	if held != "text/plain" {
		t.Errorf("the wrapped Response holds %q", held)
	}
	if recs := logs.Records(); len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	} else {
		checkAttrs(t, recs[0], map[string]any{"status": int64(200), "bytes": int64(5)})
	}
}
