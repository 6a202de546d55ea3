package container_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestLogLevelOfReturnedErrors proves the container's policy for the 5xx
// errors handlers return: a status the handler chose (an api.StatusError)
// is its decision, logged at Warn; a plain error (mapped to 500) and a
// panic are failures, logged at Error; a request shed under load
// (api.ErrShed) is logged at Debug; 4xx are not logged. An api.ErrShutdown
// while the container is not shutting down (a session store the program
// closed early) is no deploy's: it is logged at Warn, as a 503 the handler
// chose (TestLogLevelWhileShuttingDown has the Debug of a shutdown's).
func TestLogLevelOfReturnedErrors(t *testing.T) {
	tests := []struct {
		path   string
		handle func(w api.Response, r *api.Request) error
		status int
		level  slog.Level
		logged bool
	}{
		{"/chosen", func(api.Response, *api.Request) error { return api.Error(503, "backend down") }, 503, slog.LevelWarn, true},
		{"/cause", func(api.Response, *api.Request) error {
			return fmt.Errorf("fetching: %w", &api.StatusError{Code: 502, Err: io.ErrUnexpectedEOF})
		}, 502, slog.LevelWarn, true},
		{"/shutdown", func(api.Response, *api.Request) error { return api.ErrShutdown }, 503, slog.LevelWarn, true},
		{"/shutdownchosen", func(api.Response, *api.Request) error {
			return &api.StatusError{Code: 503, Err: fmt.Errorf("going away: %w", api.ErrShutdown)}
		}, 503, slog.LevelWarn, true},
		// A session store closed while the container serves on: every
		// request with a session answered 503, a failure to be seen.
		{"/storeclosed", func(api.Response, *api.Request) error {
			return fmt.Errorf("%w: %w", api.ErrShutdown, errors.New("session: store closed"))
		}, 503, slog.LevelWarn, true},
		// Load shedding, by the thousand under overload: Debug, whether
		// or not a StatusError chose its status.
		{"/shed", func(api.Response, *api.Request) error {
			return &api.StatusError{Code: 503, Err: fmt.Errorf("busy: %w", api.ErrShed)}
		}, 503, slog.LevelDebug, true},
		{"/shedplain", func(api.Response, *api.Request) error { return api.ErrShed }, 503, slog.LevelDebug, true},
		{"/plain", func(api.Response, *api.Request) error { return errors.New("nil map") }, 500, slog.LevelError, true},
		{"/panic", func(api.Response, *api.Request) error { panic("boom") }, 500, slog.LevelError, true},
		{"/client", func(api.Response, *api.Request) error { return api.Error(404, "no such item") }, 404, 0, false},
		// A redirect returned as an error is a mistake, answered 500; the
		// record's error says so, beside status=500.
		{"/redirect", func(api.Response, *api.Request) error { return api.Error(302, "/elsewhere") }, 500, slog.LevelError, true},
	}
	for _, tt := range tests {
		t.Run(tt.path[1:], func(t *testing.T) {
			logs, logger := wharftest.NewLogRecorder()
			c := container.New(container.WithLogger(logger))
			c.HandleFunc(tt.path, tt.handle)
			if got := listenAndGet(t, c, tt.path); got != tt.status {
				t.Fatalf("status %d, want %d", got, tt.status)
			}
			recs := logs.Records()
			if !tt.logged {
				if len(recs) != 0 {
					t.Errorf("logged %+v", recs)
				}
				return
			}
			if len(recs) != 1 || recs[0].Level != tt.level {
				t.Fatalf("records %+v, want one at %v", recs, tt.level)
			}
			if tt.path != "/panic" && recs[0].Attrs["status"].Int64() != int64(tt.status) {
				t.Errorf("status attribute %v", recs[0].Attrs["status"])
			}
			if tt.path == "/redirect" && !strings.Contains(recs[0].Attrs["err"].String(), "not an error status") {
				t.Errorf("err attribute %v does not say why a 302 was answered 500", recs[0].Attrs["err"])
			}
		})
	}
}

// TestLogLevelWhileShuttingDown: a handler's api.ErrShutdown once the
// container's Shutdown began is a deploy's, one of a request per client,
// logged at Debug as the suspended requests a Shutdown expires are
// (TestShutdownExpiryUnanswered); before it, at Warn
// (TestLogLevelOfReturnedErrors).
func TestLogLevelWhileShuttingDown(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"plain", api.ErrShutdown},
		{"chosen", &api.StatusError{Code: 503, Err: fmt.Errorf("going away: %w", api.ErrShutdown)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs, logger := wharftest.NewLogRecorder()
			c := container.New(container.WithLogger(logger))
			started, shutting := make(chan struct{}), make(chan struct{})
			c.RegisterOnShutdown(func() { close(shutting) })
			c.HandleFunc("/", func(api.Response, *api.Request) error {
				close(started)
				<-shutting
				return tt.err
			})
			addr := wharftest.Listen(t, c)
			got := make(chan int, 1)
			go func() {
				resp, err := http.Get("http://" + addr + "/")
				if err != nil {
					got <- 0
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				got <- resp.StatusCode
			}()
			<-started
			if err := c.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if status := <-got; status != 503 {
				t.Fatalf("status %d, want 503", status)
			}
			recs := logs.RecordsOf("wharf: request failed")
			if len(recs) != 1 || recs[0].Level != slog.LevelDebug {
				t.Errorf("records %+v, want one at Debug", recs)
			}
		})
	}
}

// listenAndGet serves c on a socket of its own and returns the status a
// GET of path is answered with, its body read.
func listenAndGet(t *testing.T, c *container.Container, path string) int {
	t.Helper()
	resp, err := http.Get("http://" + wharftest.Listen(t, c) + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
