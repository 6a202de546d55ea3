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
	"github.com/wharf-go/wharf/internal/wharftest"
)

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
			h := api.Compose(tt.handler, requestlog.New(requestlog.Config{Logger: logger, Level: slog.LevelDebug}))
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
				"dispatch": "initial", "suspended": false}
			for k, v := range tt.want {
				want[k] = v
			}
			if _, ok := want["error"]; !ok {
				if _, has := rec.Attrs["error"]; has {
					t.Errorf("unexpected error attribute %v", rec.Attrs["error"])
				}
			}
			for k, v := range want {
				if got := rec.Attrs[k].Any(); got != v {
					t.Errorf("%s = %v (%T), want %v (%T)", k, got, got, v, v)
				}
			}
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

func TestSuspendedAndResumed(t *testing.T) {
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
	}), requestlog.New(requestlog.Config{Logger: logger}))
	x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/wait"), nil).Begin()
	if err := a.Redispatch(); err != nil {
		t.Fatal(err)
	}
	<-x.Done()
	if x.Out.Body() != "done" {
		t.Fatalf("body %q", x.Out.Body())
	}
	recs := logs.Records()
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	check := func(rec wharftest.Record, dispatch string, suspended bool, bytes int64) {
		t.Helper()
		if rec.Attrs["dispatch"].String() != dispatch || rec.Attrs["suspended"].Bool() != suspended ||
			rec.Attrs["bytes"].Int64() != bytes {
			t.Errorf("record %v", rec.Attrs)
		}
	}
	check(recs[0], "initial", true, 0)
	check(recs[1], "resumed", false, 4)
}

func TestExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs, logger := wharftest.NewLogRecorder()
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			if async.KindOf(r) == async.DispatchInitial {
				ex := async.From(r)
				ex.SetTimeout(time.Second)
				return ex.Suspend(async.ModeContinuation)
			}
			w.SetStatus(504)
			return nil
		}), requestlog.New(requestlog.Config{Logger: logger}))
		x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
		<-x.Done()
		recs := logs.Records()
		if len(recs) != 2 || recs[1].Attrs["dispatch"].String() != "expired" || recs[1].Attrs["status"].Int64() != 504 {
			t.Fatalf("records %+v", recs)
		}
	})
}
