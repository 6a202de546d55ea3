package timeout_test

import (
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A panic of the chain after the timeout answered has no request left to
// fail, and is recovered on the filter's goroutine: the filter logs it
// (Config.Logger), where it was lost without a word, in async mode and
// blocking alike; http.ErrAbortHandler is not logged, as net/http does
// not log it, and a chain that ends in time logs nothing here.
func TestPanicAfterTimeoutLogged(t *testing.T) {
	const msg = "timeout: panic in the chain after the timeout answered"
	for _, tt := range []struct {
		name     string
		exchange bool // served by an exchange (async mode), or blocking
		late     bool // the chain panics after the timeout, or returns in time
		value    any
		logged   bool
	}{
		{"async, late panic", true, true, "late", true},
		{"blocking, late panic", false, true, "late", true},
		{"async, late ErrAbortHandler", true, true, http.ErrAbortHandler, false},
		{"blocking, late ErrAbortHandler", false, true, http.ErrAbortHandler, false},
		{"async, in time", true, false, nil, false},
		{"blocking, in time", false, false, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec, log := wharftest.NewLogRecorder()
				done := make(chan struct{})
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					defer close(done)
					if !tt.late {
						return nil
					}
					<-r.Context().Done()
					time.Sleep(time.Second) // the timeout's answer is out
					panic(tt.value)
				}), timeout.New(timeout.Config{Timeout: time.Second, Logger: log}))
				if tt.exchange {
					x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/p"), nil).Begin()
					<-x.Done()
				} else if err := h.Serve(wharftest.NewRecorder(), wharftest.Request("GET", "/p")); tt.late && !errors.Is(err, timeout.ErrTimeout) {
					t.Fatalf("Serve: %v", err)
				}
				<-done
				synctest.Wait()
				recs := rec.RecordsOf(msg)
				if len(recs) != map[bool]int{true: 1}[tt.logged] {
					t.Fatalf("%d records %q, want %v", len(recs), msg, tt.logged)
				}
				if !tt.logged {
					return
				}
				if a := recs[0].Attrs; a["panic"].String() != "late" || a["path"].String() != "/p" || a["method"].String() != "GET" || a["stack"].String() == "" {
					t.Errorf("record %v, want the panic, method, path and stack", a)
				}
			})
		})
	}
}

// A panic of the chain whose result is queued behind a task that ends the
// request (the timeout's, or the failure of a client that left) is logged
// when that result is dropped unrun, as when it comes after the request
// ended: it was lost without a word, Dispatch having taken it.
func TestPanicDroppedWhileQueuedLogged(t *testing.T) {
	const msg = "timeout: panic in the chain after the timeout answered"
	synctest.Test(t, func(t *testing.T) {
		rec, log := wharftest.NewLogRecorder()
		panicNow, done := make(chan struct{}), make(chan struct{})
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			defer close(done)
			<-panicNow
			panic("queued")
		}), timeout.New(timeout.Config{Timeout: time.Minute, Logger: log}))
		x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/p"), nil).Begin()
		// A task of the request runs and holds the queue: the failure,
		// then the chain's result, are queued behind it.
		running, release := make(chan struct{}), make(chan struct{})
		if err := x.Submit(func(api.Response) { close(running); <-release }, nil); err != nil {
			t.Fatal(err)
		}
		<-running
		if err := x.Fail(errors.New("client gone")); err != nil {
			t.Fatalf("Fail: %v", err)
		}
		close(panicNow)
		<-done
		synctest.Wait() // the chain's result is queued
		close(release)
		<-x.Done()
		synctest.Wait()
		if recs := rec.RecordsOf(msg); len(recs) != 1 || recs[0].Attrs["panic"].String() != "queued" {
			t.Fatalf("records %q: %v, want the panic's", msg, recs)
		}
	})
}
