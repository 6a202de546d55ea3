package timeout_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// outer sets a header before the timeout filter runs, as a header or CORS
// filter would.
var outer = api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
	w.Header().Set("X-Outer", "1")
	return next.Next(w, r)
})

func TestChainAnswersInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hctx context.Context
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			hctx = r.Context()
			time.Sleep(29 * time.Second)
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("X-Handler", "yes")
			w.Trailer().Set("X-Checksum", "abc")
			w.SetStatus(http.StatusCreated)
			w.WriteString("created")
			if w.Committed() {
				t.Error("buffer reports committed")
			}
			return w.Flush()
		}), outer, timeout.New(timeout.Config{}))
		start := time.Now()
		x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
		if x.State() != "Waiting" {
			t.Fatalf("initial dispatch left state %s", x.State())
		}
		<-x.Done()
		if d := time.Since(start); d != 29*time.Second {
			t.Errorf("completed after %v", d)
		}
		if n, f, err := x.Chan.Result(); n != 1 || f != 1 || err != nil {
			t.Fatalf("dispatches=%d finishes=%d err=%v", n, f, err)
		}
		hdr := x.Out.Result()
		if x.Out.Status() != 201 || x.Out.Body() != "created" || hdr.Get("X-Handler") != "yes" ||
			hdr.Get("X-Outer") != "1" || x.Out.TrailerSnapshot().Get("X-Checksum") != "abc" {
			t.Fatalf("got %d %q header %v trailer %v", x.Out.Status(), x.Out.Body(), hdr, x.Out.TrailerSnapshot())
		}
		if x.Out.Flushes() != 0 {
			t.Errorf("the chain's Flush reached the response")
		}
		synctest.Wait()
		if context.Cause(hctx) != context.Canceled {
			t.Errorf("handler context after completion: %v", context.Cause(hctx))
		}
	})
}

func TestTimeoutAnswers(t *testing.T) {
	tests := []struct {
		name       string
		cfg        timeout.Config
		wait       time.Duration
		wantStatus int
		wantBody   string // written by the filter; "" when it fails the request for the error pages
	}{
		{"defaults", timeout.Config{}, 30 * time.Second, 503, ""},
		{"custom", timeout.Config{Timeout: 2 * time.Second, Status: 504, Body: "too slow"}, 2 * time.Second, 504, "too slow"},
		{"custom status only", timeout.Config{Timeout: time.Second, Status: 500}, time.Second, 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cause := make(chan error, 1)
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					w.Header().Set("X-Handler", "yes")
					w.WriteString("partial")
					<-r.Context().Done()
					cause <- context.Cause(r.Context())
					w.WriteString(" late")
					return nil
				}), outer, timeout.New(tt.cfg))
				start := time.Now()
				x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
				<-x.Done()
				if d := time.Since(start); d != tt.wait {
					t.Errorf("timed out after %v", d)
				}
				if err := <-cause; !errors.Is(err, timeout.ErrTimeout) {
					t.Errorf("handler context cause = %v", err)
				}
				synctest.Wait() // the late result has been dropped
				hdr := x.Out.Result()
				if x.Out.Status() != tt.wantStatus || x.Out.Body() != tt.wantBody ||
					(hdr.Get("Content-Type") == "text/plain; charset=utf-8") != (tt.wantBody != "") || hdr.Get("X-Outer") != "1" || hdr.Get("X-Handler") != "" {
					t.Fatalf("got %d %q %v", x.Out.Status(), x.Out.Body(), hdr)
				}
				n, f, err := x.Chan.Result()
				if tt.wantBody == "" && (!errors.Is(err, timeout.ErrTimeout) || api.StatusOf(err) != tt.wantStatus) ||
					tt.wantBody != "" && err != nil || n != 1 || f != 1 {
					t.Fatalf("dispatches=%d finishes=%d err=%v", n, f, err)
				}
			})
		})
	}
}

func TestHandlerIgnoringContext(t *testing.T) {
	for _, tt := range []struct {
		sleep      time.Duration
		wantStatus int
		wantBody   string
	}{
		{1999 * time.Millisecond, 200, "done"},
		{2001 * time.Millisecond, 503, ""}, // the timeout's failure, for the error pages
	} {
		synctest.Test(t, func(t *testing.T) {
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				time.Sleep(tt.sleep)
				_, err := w.WriteString("done")
				return err
			}), timeout.New(timeout.Config{Timeout: 2 * time.Second}))
			x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
			<-x.Done()
			time.Sleep(time.Second) // let the late handler finish and be dropped
			synctest.Wait()
			if x.Out.Status() != tt.wantStatus || x.Out.Body() != tt.wantBody {
				t.Fatalf("sleep %v: %d %q", tt.sleep, x.Out.Status(), x.Out.Body())
			}
		})
	}
}

func TestBufferReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.SetStatus(500)
			w.Write([]byte("oops"))
			if err := w.Reset(); err != nil {
				return err
			}
			if w.Status() != 200 || w.Header().Get("X-Outer") != "" {
				t.Errorf("after Reset: %d %v", w.Status(), w.Header())
			}
			_, err := w.Write([]byte("fine"))
			return err
		}), outer, timeout.New(timeout.Config{}))
		x := wharftest.Run(h, wharftest.Head("GET", "/"))
		if x.Out.Status() != 200 || x.Out.Body() != "fine" || x.Out.Result().Get("X-Outer") != "" {
			t.Fatalf("got %d %q %v", x.Out.Status(), x.Out.Body(), x.Out.Result())
		}
	})
}

// A response committed before the filter ran cannot carry the timeout
// answer: the request fails with api.ErrAsyncTimeout (the container aborts).
func TestTimeoutAfterCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		flushing := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			w.WriteString("head ")
			w.Flush()
			return next.Next(w, r)
		})
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			<-r.Context().Done()
			return nil
		}), flushing, timeout.New(timeout.Config{Timeout: time.Second}))
		x := wharftest.Run(h, wharftest.Head("GET", "/"))
		if _, _, err := x.Chan.Result(); !errors.Is(err, api.ErrAsyncTimeout) || x.Out.Body() != "head " {
			t.Fatalf("err=%v body=%q", err, x.Out.Body())
		}
	})
}

// An error of the chain fails the request with the header fields set before
// it, as without the filter, but not with the body or the fields that
// describe it.
func TestChainErrorFailsRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.Header().Set("Retry-After", "5")
			w.Header().Set("Content-Type", "text/html")
			w.WriteString("discarded")
			return api.Error(http.StatusConflict, "busy")
		}), outer, timeout.New(timeout.Config{}))
		x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
		<-x.Done()
		_, _, err := x.Chan.Result()
		if api.StatusOf(err) != http.StatusConflict || x.Out.Status() != http.StatusConflict || x.Out.Body() != "" {
			t.Fatalf("err=%v status=%d body=%q", err, x.Out.Status(), x.Out.Body())
		}
		if hdr := x.Out.Result(); hdr.Get("Retry-After") != "5" || hdr.Get("X-Outer") != "1" || hdr.Get("Content-Type") != "" {
			t.Fatalf("header %v", hdr)
		}
	})
}

func TestChainPanicFailsRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			panic("deep")
		}), timeout.New(timeout.Config{}))
		x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
		<-x.Done()
		_, _, err := x.Chan.Result()
		var pe *api.PanicError
		if !errors.As(err, &pe) || pe.Value != "deep" || x.Out.Status() != 500 {
			t.Fatalf("err=%v status=%d", err, x.Out.Status())
		}
	})
}

// The chain finishes at the very instant the timeout expires. Whichever
// wins, the response is entirely one or the other and agrees with the
// recorded outcome.
func TestSimultaneous(t *testing.T) {
	for i := range 200 {
		fail := i%2 == 1
		synctest.Test(t, func(t *testing.T) {
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				time.Sleep(time.Second)
				if fail {
					return api.Error(http.StatusTeapot, "")
				}
				w.SetStatus(200)
				_, err := w.WriteString("result")
				return err
			}), timeout.New(timeout.Config{Timeout: time.Second}))
			x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
			<-x.Done()
			synctest.Wait()
			_, finishes, err := x.Chan.Result()
			code, body := x.Out.Status(), x.Out.Body()
			switch {
			case finishes != 1:
				t.Fatalf("finishes = %d", finishes)
			case errors.Is(err, timeout.ErrTimeout) && code == 503 && body == "":
			case err == nil && !fail && code == 200 && body == "result":
			case fail && api.StatusOf(err) == http.StatusTeapot && code == http.StatusTeapot && body == "":
			default:
				t.Fatalf("iteration %d: err=%v code=%d body=%q", i, err, code, body)
			}
		})
	}
}

func TestBlockingWithoutExchange(t *testing.T) {
	tests := []struct {
		name       string
		sleep      time.Duration
		ret        error
		wantErr    int // status of the returned error, 0 for none
		wantStatus int
		wantBody   string
	}{
		{name: "in time", sleep: time.Second, wantStatus: 202, wantBody: "ok"},
		{name: "late", sleep: 3 * time.Second, wantErr: 503, wantStatus: 200}, // the caller answers the timeout's error
		{name: "error", sleep: time.Second, ret: api.Error(400, ""), wantErr: 400, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					select {
					case <-time.After(tt.sleep):
					case <-r.Context().Done():
						return context.Cause(r.Context())
					}
					if tt.ret != nil {
						return tt.ret
					}
					w.SetStatus(202)
					_, err := w.WriteString("ok")
					return err
				}), timeout.New(timeout.Config{Timeout: 2 * time.Second}))
				w := wharftest.NewRecorder()
				err := h.Serve(w, wharftest.Request("GET", "/"))
				if (tt.wantErr == 0) != (err == nil) || (err != nil && api.StatusOf(err) != tt.wantErr) {
					t.Fatalf("err = %v", err)
				}
				if w.Status() != tt.wantStatus || w.Body() != tt.wantBody {
					t.Fatalf("got %d %q", w.Status(), w.Body())
				}
			})
		})
	}
}

// Without an exchange too, the filter's caller, which answers the error,
// finds the header fields the chain set before failing; but not those of a
// chain that fails after the timeout answered.
func TestBlockingErrorKeepsHeaderFields(t *testing.T) {
	tests := []struct {
		name       string
		sleep      time.Duration
		wantStatus int
		wantField  bool
	}{
		{"in time", time.Second, 200, true},
		{"late", 3 * time.Second, 200, false}, // the caller answers the timeout's error
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					select {
					case <-time.After(tt.sleep):
					case <-r.Context().Done(): // the timeout answered
					}
					w.Header().Set("Www-Authenticate", `Basic realm="r"`)
					w.WriteString("discarded")
					return api.Error(http.StatusUnauthorized, "")
				}), outer, timeout.New(timeout.Config{Timeout: 2 * time.Second}))
				w := wharftest.NewRecorder()
				err := h.Serve(w, wharftest.Request("GET", "/"))
				synctest.Wait() // a late chain has returned
				if wantErr := tt.wantField; wantErr != (api.StatusOf(err) == http.StatusUnauthorized) {
					t.Fatalf("err = %v", err)
				}
				hdr := w.Header()
				if w.Status() != tt.wantStatus || (hdr.Get("Www-Authenticate") != "") != tt.wantField || hdr.Get("X-Outer") != "1" {
					t.Fatalf("got %d, header %v", w.Status(), hdr)
				}
				if tt.wantField && w.Body() != "" {
					t.Fatalf("body %q written with the error", w.Body())
				}
			})
		})
	}
}

func TestNegativeTimeoutPassesThrough(t *testing.T) {
	var got api.Response
	w := wharftest.NewRecorder()
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error { got = w; return nil }),
		timeout.New(timeout.Config{Timeout: -1}))
	if err := h.Serve(w, wharftest.Request("GET", "/")); err != nil || got != api.Response(w) {
		t.Fatalf("err=%v, handler got the recorder: %v", err, got == api.Response(w))
	}
}
