package recovery_test

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/recovery"
	"github.com/wharf-go/wharf/internal/wharftest"
)

var errCustom = errors.New("custom")

func TestRecovery(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		handler  func(w api.Response, r *api.Request) error
		onPanic  func(r *api.Request, v any) error
		wantErr  func(error) bool
		wantLogs int
	}{
		{
			name:    "no panic passes the result through",
			handler: func(w api.Response, r *api.Request) error { return api.Error(404, "") },
			wantErr: func(err error) bool { return api.StatusOf(err) == 404 },
		},
		{
			name:    "no panic nil",
			handler: func(w api.Response, r *api.Request) error { return nil },
			wantErr: func(err error) bool { return err == nil },
		},
		{
			name:    "string panic",
			handler: func(w api.Response, r *api.Request) error { panic("kaput") },
			wantErr: func(err error) bool {
				var pe *api.PanicError
				return errors.As(err, &pe) && pe.Value == "kaput" && len(pe.Stack) > 0 && api.StatusOf(err) == 500
			},
			wantLogs: 1,
		},
		{
			name:    "error panic unwraps",
			handler: func(w api.Response, r *api.Request) error { panic(boom) },
			wantErr: func(err error) bool {
				var pe *api.PanicError
				return errors.As(err, &pe) && errors.Is(err, boom)
			},
			wantLogs: 1,
		},
		{
			name:    "abort handler is not logged",
			handler: func(w api.Response, r *api.Request) error { panic(http.ErrAbortHandler) },
			onPanic: func(r *api.Request, v any) error { return errCustom },
			wantErr: func(err error) bool {
				var pe *api.PanicError
				return errors.As(err, &pe) && errors.Is(err, http.ErrAbortHandler)
			},
		},
		{
			name:     "OnPanic converts",
			handler:  func(w api.Response, r *api.Request) error { panic(42) },
			onPanic:  func(r *api.Request, v any) error { return api.Error(418, "teapot") },
			wantErr:  func(err error) bool { return api.StatusOf(err) == 418 },
			wantLogs: 1,
		},
		{
			name:     "OnPanic nil falls back",
			handler:  func(w api.Response, r *api.Request) error { panic(42) },
			onPanic:  func(r *api.Request, v any) error { return nil },
			wantErr:  func(err error) bool { var pe *api.PanicError; return errors.As(err, &pe) && pe.Value == 42 },
			wantLogs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs, logger := wharftest.NewLogRecorder()
			h := api.Compose(api.HandlerFunc(tt.handler), recovery.New(recovery.Config{Logger: logger, OnPanic: tt.onPanic}))
			err := h.Serve(wharftest.NewRecorder(), wharftest.Request("GET", "/p"))
			if !tt.wantErr(err) {
				t.Fatalf("unexpected error %#v", err)
			}
			recs := logs.Records()
			if len(recs) != tt.wantLogs {
				t.Fatalf("%d log records, want %d", len(recs), tt.wantLogs)
			}
			for _, rec := range recs {
				// remote: the client to look for behind the stack
				if rec.Level != slog.LevelError || rec.Attrs["path"].String() != "/p" ||
					rec.Attrs["remote"].String() != "192.0.2.1:1234" ||
					!strings.Contains(rec.Attrs["stack"].String(), "recovery_test") {
					t.Fatalf("bad record %+v", rec)
				}
			}
		})
	}
}

func TestRecoveryLevel(t *testing.T) {
	logs, logger := wharftest.NewLogRecorder()
	h := api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error { panic("x") }),
		recovery.New(recovery.Config{Logger: logger, Level: slog.LevelWarn}))
	_ = h.Serve(wharftest.NewRecorder(), wharftest.Request("GET", "/"))
	if recs := logs.Records(); len(recs) != 1 || recs[0].Level != slog.LevelWarn {
		t.Fatalf("records %+v", recs)
	}
}

// Under a real exchange the recovered panic becomes the request's failure
// and the response is answered with 500.
func TestRecoveryInExchange(t *testing.T) {
	_, logger := wharftest.NewLogRecorder()
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.WriteString("partial")
		panic("late")
	}), recovery.New(recovery.Config{Logger: logger}))
	x := wharftest.Run(h, wharftest.Head("GET", "/"))
	_, _, err := x.Chan.Result()
	var pe *api.PanicError
	if !errors.As(err, &pe) || x.Out.Status() != 500 || x.Out.Body() != "" {
		t.Fatalf("err=%v status=%d body=%q", err, x.Out.Status(), x.Out.Body())
	}
}
