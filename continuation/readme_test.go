package continuation_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
)

// This file runs the README's long poll as written (../readme_test.go checks
// that the README's blocks are the code below) against a resumer that
// resumes each poll the moment it is registered, racing the handler's
// return.

// raceRoom is the README's room. wait hands the continuation to the
// resumer goroutine, which resumes it at once: the earliest any real event
// source could, while the handler is still on its way back.
type raceRoom struct {
	waiting chan continuation.Continuation
	done    chan struct{}
}

// newRaceRoom starts the resumer; it stops when the test ends.
func newRaceRoom(t *testing.T) *raceRoom {
	rm := &raceRoom{waiting: make(chan continuation.Continuation), done: make(chan struct{})}
	go func() {
		defer close(rm.done)
		for c := range rm.waiting {
			if err := c.Resume(api.Attr{Key: eventKey{}, Value: "news"}); err != nil {
				// The wake-up is lost: the poll would wait out its
				// timeout. Fail, and end the request now instead.
				t.Errorf("Resume right after the poll registered: %v", err)
				_ = c.Complete()
			}
		}
	}()
	t.Cleanup(func() { close(rm.waiting); <-rm.done })
	return rm
}

func (rm *raceRoom) wait(c continuation.Continuation) { rm.waiting <- c }

// writeEvents is the README's answer: the event the poll was resumed with,
// or "expired".
func writeEvents(w api.Response, r *api.Request, expired bool) error {
	if expired {
		_, err := w.WriteString("expired")
		return err
	}
	_, err := fmt.Fprint(w, r.Attribute(eventKey{}))
	return err
}

// pollRaceIterations is how many polls each variant serves; every one of
// them must be answered by its Resume, none by its (30 s) timeout.
const pollRaceIterations = 10_000

// servePolls serves n polls of GET /poll through c, one after the other,
// and fails at the first that was not answered with the resumed event.
func servePolls(t *testing.T, c *container.Container, n int) {
	t.Helper()
	t.Cleanup(func() {
		if err := c.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	for i := range n {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", "/poll", nil))
		if rec.Code != 200 || rec.Body.String() != "news" {
			t.Fatalf("poll %d: %d %q, want 200 \"news\"", i, rec.Code, rec.Body)
		}
	}
}

// The README's long poll never loses a wake-up, however early the Resume
// comes. The handlers below are the README's blocks, verbatim.
func TestReadmePollRace(t *testing.T) {
	t.Run("Suspend", func(t *testing.T) {
		room := newRaceRoom(t)
		c := container.New()
		c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if cont.IsInitial() {
				cont.SetTimeout(30 * time.Second)
				if err := cont.Suspend(); err != nil {
					return err
				}
				room.wait(cont) // a cont.Resume(...) from now on re-dispatches, even before we return
				return nil      // the goroutine is released
			}
			return writeEvents(w, r, cont.IsExpired())
		})
		servePolls(t, c, pollRaceIterations)
	})
	t.Run("SuspendThen", func(t *testing.T) {
		room := newRaceRoom(t)
		c := container.New()
		c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if cont.IsInitial() {
				cont.SetTimeout(30 * time.Second)
				return cont.SuspendThen(room.wait)
			}
			return writeEvents(w, r, cont.IsExpired())
		})
		servePolls(t, c, pollRaceIterations)
	})
}

// The order alone decides. With a room that resumes the continuation
// inside wait, before wait returns (the race above, lost every time by the
// wrong side), suspending first answers at once, while registering first
// gets its Resume refused and the poll waits out its whole timeout.
func TestSuspendOrder(t *testing.T) {
	const timeout = 30 * time.Second
	// Each handler suspends and registers the continuation with wait, in
	// its own order.
	orders := []struct {
		name    string
		handler func(wait func(continuation.Continuation)) func(api.Response, *api.Request) error
		// what the Resume made inside wait returns, what the poll answers,
		// and after how long
		resumeErr error
		body      string
		took      time.Duration
	}{
		{
			name: "Suspend then register",
			handler: func(wait func(continuation.Continuation)) func(api.Response, *api.Request) error {
				return func(w api.Response, r *api.Request) error {
					cont := continuation.Of(r)
					if cont.IsInitial() {
						cont.SetTimeout(timeout)
						if err := cont.Suspend(); err != nil {
							return err
						}
						wait(cont)
						return nil
					}
					return writeEvents(w, r, cont.IsExpired())
				}
			},
			body: "news",
		},
		{
			name: "SuspendThen",
			handler: func(wait func(continuation.Continuation)) func(api.Response, *api.Request) error {
				return func(w api.Response, r *api.Request) error {
					cont := continuation.Of(r)
					if cont.IsInitial() {
						cont.SetTimeout(timeout)
						return cont.SuspendThen(wait)
					}
					return writeEvents(w, r, cont.IsExpired())
				}
			},
			body: "news",
		},
		{
			name: "register then Suspend (the lost wake-up)",
			handler: func(wait func(continuation.Continuation)) func(api.Response, *api.Request) error {
				return func(w api.Response, r *api.Request) error {
					cont := continuation.Of(r)
					if cont.IsInitial() {
						cont.SetTimeout(timeout)
						wait(cont)
						return cont.Suspend()
					}
					return writeEvents(w, r, cont.IsExpired())
				}
			},
			resumeErr: api.ErrNotSuspended,
			body:      "expired",
			took:      timeout,
		},
	}
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var resumeErr error
				resumes := 0
				eager := func(c continuation.Continuation) {
					resumes++
					resumeErr = c.Resume(api.Attr{Key: eventKey{}, Value: "news"})
				}
				c := container.New()
				c.HandleFunc("/poll", o.handler(eager))
				defer c.Shutdown(context.Background())

				start := time.Now()
				rec := httptest.NewRecorder()
				c.ServeHTTP(rec, httptest.NewRequest("GET", "/poll", nil))
				took := time.Since(start)
				if resumes != 1 || !errors.Is(resumeErr, o.resumeErr) {
					t.Errorf("%d resumes, Resume = %v, want 1 and %v", resumes, resumeErr, o.resumeErr)
				}
				if rec.Code != 200 || rec.Body.String() != o.body || took != o.took {
					t.Errorf("poll answered %d %q after %v, want 200 %q after %v", rec.Code, rec.Body, took, o.body, o.took)
				}
			})
		})
	}
}
