package container_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	engine "github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// shutdownApp has one endpoint per kind of suspended request. Each async
// one does its work on a goroutine that waits for work (so the test, not
// a clock, decides when the work is done); each has a timeout far longer
// than the test, so only Shutdown can expire it.
type shutdownApp struct {
	work    chan struct{} // closed: async work may finish
	started chan string   // a request reached its suspension
}

func newShutdownApp() *shutdownApp {
	return &shutdownApp{work: make(chan struct{}), started: make(chan string, 16)}
}

func (a *shutdownApp) build(c *container.Container) {
	// Async work in flight: answered by a task once the work is done.
	asyncWork := func(policy async.OnShutdown) api.HandlerFunc {
		return func(w api.Response, r *api.Request) error {
			ac, err := async.Start(r)
			if err != nil {
				return err
			}
			ac.SetTimeout(time.Hour)
			ac.SetOnShutdown(policy)
			ac.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
				w.SetStatus(http.StatusGatewayTimeout)
				io.WriteString(w, "expired")
				ac.Complete()
			}})
			a.started <- r.Path()
			go func() {
				<-a.work
				ac.Dispatch(func(w api.Response) {
					io.WriteString(w, "result")
					ac.Complete()
				})
			}()
			return nil
		}
	}
	c.HandleFunc("/async", asyncWork(async.ShutdownDefault))
	c.HandleFunc("/async-expire", asyncWork(async.ShutdownExpire))

	// A long poll: waits for an event that only the test sends.
	poll := func(policy async.OnShutdown) api.HandlerFunc {
		return func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			switch {
			case cont.IsInitial():
				cont.SetTimeout(time.Hour)
				cont.SetOnShutdown(policy)
				if err := cont.Suspend(); err != nil {
					return err
				}
				a.started <- r.Path()
				go func() {
					<-a.work
					cont.Resume()
				}()
				return nil
			case cont.IsExpired():
				w.SetStatus(http.StatusServiceUnavailable)
				_, err := io.WriteString(w, "expired")
				return err
			}
			_, err := io.WriteString(w, "event")
			return err
		}
	}
	c.HandleFunc("/poll", poll(async.ShutdownDefault))
	c.HandleFunc("/poll-wait", poll(async.ShutdownWait))
}

type answer struct {
	status int
	body   string
	err    error
}

func fetchAsync(s *modes.Server, path string) <-chan answer {
	ch := make(chan answer, 1)
	go func() {
		resp, err := s.Client.Get(s.URL + path)
		if err != nil {
			ch <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ch <- answer{resp.StatusCode, string(b), err}
	}()
	return ch
}

func expect(t *testing.T, path string, got answer, status int, body string) {
	t.Helper()
	if got.err != nil || got.status != status || got.body != body {
		t.Errorf("GET %s = %d %q (%v), want %d %q", path, got.status, got.body, got.err, status, body)
	}
}

// TestShutdownLetsAsyncWorkFinish: Shutdown expires long polls at once,
// waits for async work in flight, and each request can choose the other
// behaviour.
func TestShutdownLetsAsyncWorkFinish(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.H2C, modes.H2} {
		t.Run(string(m), func(t *testing.T) {
			app := newShutdownApp()
			c := container.New(modes.Options(m)...)
			app.build(c)
			s := modes.Start(t, m, c)
			paths := []string{"/async", "/async-expire", "/poll", "/poll-wait"}
			answers := map[string]<-chan answer{}
			for _, p := range paths {
				answers[p] = fetchAsync(s, p)
			}
			for range paths {
				<-app.started
			}

			shut := make(chan error, 1)
			go func() { shut <- c.Shutdown(context.Background()) }()

			// Expired at once, while the work is still held back.
			expect(t, "/poll", <-answers["/poll"], 503, "expired")
			expect(t, "/async-expire", <-answers["/async-expire"], 504, "expired")
			select {
			case err := <-shut:
				t.Fatalf("Shutdown returned %v with async work in flight", err)
			case a := <-answers["/async"]:
				t.Fatalf("/async answered %+v before its work was done", a)
			default:
			}

			close(app.work)
			expect(t, "/async", <-answers["/async"], 200, "result")
			expect(t, "/poll-wait", <-answers["/poll-wait"], 200, "event")
			if err := <-shut; err != nil {
				t.Errorf("Shutdown = %v", err)
			}
		})
	}
}

// TestShutdownOutOfTime: when Shutdown's context ends before the async
// work, the request is expired, its timeout path answers before Shutdown
// returns the context's error, and the Close that follows does not cut the
// answer off.
func TestShutdownOutOfTime(t *testing.T) {
	app := newShutdownApp()
	c := container.New()
	app.build(c)
	s := modes.Start(t, modes.H1, c)
	a := fetchAsync(s, "/async")
	<-app.started
	ctx, cancel := context.WithCancel(context.Background())
	shut := make(chan error, 1)
	go func() { shut <- c.Shutdown(ctx) }()
	select {
	case got := <-a:
		t.Fatalf("/async answered %+v before Shutdown's context ended", got)
	default:
	}
	cancel()
	if err := <-shut; !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v, want context.Canceled", err)
	}
	c.Close() // what a program does next: the expiry has answered already
	expect(t, "/async", <-a, 504, "expired")
	close(app.work) // the late result is dropped: the request completed
}

// TestOnShutdownChoice is the table of ExpiresOnShutdown: how a request
// suspended and what it chose.
func TestOnShutdownChoice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   engine.Mode
		policy async.OnShutdown
		expire bool
	}{
		{"async default waits", engine.ModeAsync, async.ShutdownDefault, false},
		{"async expire", engine.ModeAsync, async.ShutdownExpire, true},
		{"async wait", engine.ModeAsync, async.ShutdownWait, false},
		{"continuation default expires", engine.ModeContinuation, async.ShutdownDefault, true},
		{"continuation wait", engine.ModeContinuation, async.ShutdownWait, false},
		{"continuation expire", engine.ModeContinuation, async.ShutdownExpire, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan bool, 1)
			c := container.New()
			c.HandleFunc("/", func(w api.Response, r *api.Request) error {
				ex := engine.From(r)
				ex.SetTimeout(time.Hour)
				ex.SetOnShutdown(tc.policy)
				if ex.ExpiresOnShutdown() {
					t.Error("ExpiresOnShutdown before suspending")
				}
				if err := ex.Suspend(tc.mode); err != nil {
					return err
				}
				got <- ex.ExpiresOnShutdown()
				return ex.Complete()
			})
			s := modes.Start(t, modes.H1, c)
			if _, err := s.Client.Get(s.URL + "/"); err != nil {
				t.Fatal(err)
			}
			if g := <-got; g != tc.expire {
				t.Errorf("ExpiresOnShutdown = %v, want %v", g, tc.expire)
			}
		})
	}
}

// TestShutdownExpiryUnanswered: an async request a Shutdown expires, and
// that no listener answers, fails with an error that is both
// api.ErrAsyncTimeout and api.ErrShutdown: answered 503, for the client
// to try again elsewhere, not 500, whether it chose ShutdownExpire or
// Shutdown's context ended first. Its record is at Debug: a Shutdown ends
// every suspended request at once, and a line each at Warn would flood
// the log on every deploy.
func TestShutdownExpiryUnanswered(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy async.OnShutdown
	}{
		{"expire", async.ShutdownExpire},
		{"out of time", async.ShutdownDefault},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started := make(chan struct{}, 1)
			ended := make(chan error, 1)
			logs, logger := wharftest.NewLogRecorder()
			c := container.New(container.WithLogger(logger))
			c.HandleFunc("/", func(w api.Response, r *api.Request) error {
				ac, err := async.Start(r)
				if err != nil {
					return err
				}
				ac.SetTimeout(time.Hour)
				ac.SetOnShutdown(tc.policy)
				if err := async.OnComplete(r, func(err error) { ended <- err }); err != nil {
					return err
				}
				started <- struct{}{}
				return nil
			})
			s := modes.Start(t, modes.H1, c)
			a := fetchAsync(s, "/")
			<-started
			ctx, cancel := context.WithCancel(context.Background())
			if tc.policy == async.ShutdownDefault {
				cancel() // out of time at once: the request is expired
			}
			defer cancel()
			err := c.Shutdown(ctx)
			if tc.policy == async.ShutdownExpire && err != nil {
				t.Errorf("Shutdown = %v", err)
			}
			got := <-a
			if got.err != nil || got.status != http.StatusServiceUnavailable {
				t.Errorf("answered %d (%v), want 503", got.status, got.err)
			}
			if err := <-ended; !errors.Is(err, api.ErrAsyncTimeout) || !errors.Is(err, api.ErrShutdown) {
				t.Errorf("completed with %v, want api.ErrAsyncTimeout and api.ErrShutdown", err)
			}
			c.Close()
			recs := logs.RecordsOf("wharf: request failed")
			if len(recs) != 1 || recs[0].Level != slog.LevelDebug {
				t.Errorf("the expired request's records: %+v, want one at Debug", recs)
			}
		})
	}
}
