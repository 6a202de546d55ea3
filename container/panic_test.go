package container_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A panic is logged once with its stack and answered 500; the server goes
// on serving. http.ErrAbortHandler aborts quietly.
func TestPanicLoggedWithStack(t *testing.T) {
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			rec, logger := wharftest.NewLogRecorder()
			c := container.New(append(modes.Options(m), container.WithLogger(logger))...)
			c.HandleFunc("/panic", func(w api.Response, r *api.Request) error { panic("kaboom") })
			c.HandleFunc("/abort", func(w api.Response, r *api.Request) error { panic(http.ErrAbortHandler) })
			c.HandleFunc("/ok", func(w api.Response, r *api.Request) error { _, err := w.WriteString("ok"); return err })
			s := modes.Start(t, m, c)
			if code, body, _ := get(t, s, "/panic"); code != 500 || strings.Contains(body, "kaboom") {
				t.Fatalf("panic answered %d %q", code, body)
			}
			var panics int
			for _, r := range rec.Records() {
				if strings.Contains(r.Message, "panic") {
					panics++
					if !strings.Contains(r.Attrs["stack"].String(), "container_test.TestPanicLoggedWithStack") {
						t.Errorf("logged stack does not show the handler: %.200s", r.Attrs["stack"])
					}
				}
			}
			if panics != 1 {
				t.Fatalf("%d panic records, want 1", panics)
			}
			resp, err := s.Client.Get(s.URL + "/abort")
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil && resp.StatusCode == 200 {
				t.Fatal("an aborted handler produced a complete 200")
			}
			if len(rec.Records()) != 1 {
				t.Fatalf("ErrAbortHandler was logged: %+v", rec.Records())
			}
			if code, body, _ := get(t, s, "/ok"); code != 200 || body != "ok" {
				t.Fatalf("after panics: %d %q", code, body)
			}
		})
	}
}

// A timeout listener that panics does not keep the listeners after it
// from hearing of the timeout (Jetty runs them all); the request then
// fails with the panic, a 500, as before.
func TestPanicInOnTimeoutRunsTheOthers(t *testing.T) {
	rec, logger := wharftest.NewLogRecorder()
	c := container.New(container.WithLogger(logger))
	var second atomic.Bool
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if !cont.IsInitial() {
			return errors.New("re-dispatched after a timeout listener panicked")
		}
		cont.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) { panic("first listener") }})
		cont.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) { second.Store(true) }})
		cont.SetTimeout(time.Millisecond)
		return cont.Suspend()
	})
	s := modes.Start(t, modes.H1, c)
	if code, _, _ := get(t, s, "/poll"); code != 500 {
		t.Fatalf("status %d, want 500", code)
	}
	if !second.Load() {
		t.Error("the listener after the panicking one did not run")
	}
	var logged bool
	for _, r := range rec.Records() {
		if strings.Contains(r.Message, "panic") {
			logged = r.Attrs["panic"].String() == "first listener" &&
				strings.Contains(r.Attrs["stack"].String(), "TestPanicInOnTimeoutRunsTheOthers")
		}
	}
	if !logged {
		t.Errorf("the panic was not logged with its value and the listener's stack: %+v", rec.Records())
	}
}

// A panic whose value is an error that would choose a status if returned
// (a StatusError, ErrBodyTooLarge, ErrShutdown) is still a panic: answered
// 500, as the api package documents, and the value's text, which a 4xx
// page would show, does not reach the client.
func TestPanicWithErrorValueAnswered500(t *testing.T) {
	tests := []struct {
		name  string
		value error
	}{
		{"StatusError", api.Error(http.StatusNotFound, "secret")},
		{"BodyTooLarge", api.ErrBodyTooLarge},
		{"Shutdown", fmt.Errorf("secret: %w", api.ErrShutdown)},
		{"BadRequest", &api.StatusError{Code: http.StatusBadRequest, Err: errors.New("secret")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			defer c.Close()
			c.HandleFunc("/panic", func(w api.Response, r *api.Request) error { panic(tt.value) })
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, httptest.NewRequest("GET", "/panic", nil))
			if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret") {
				t.Errorf("panic(%v) answered %d %q, want 500 without the value", tt.value, rec.Code, rec.Body)
			}
		})
	}
}
