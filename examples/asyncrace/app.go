package main

import (
	"net/http"
	"strconv"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
)

// answerBody is the business logic's answer.
const answerBody = "the answer is 42"

// timeoutBody is the timeout listener's answer.
func timeoutBody(ms int64) string { return "timed out after " + strconv.FormatInt(ms, 10) + " ms" }

// newContainer builds the example's container. The tests serve the same
// container on their own listener.
func newContainer(opts ...container.Option) *container.Container {
	c := container.New(opts...)
	c.HandleFunc("/answer", func(w api.Response, r *api.Request) error {
		return handleAnswer(w, r, c.ShuttingDown)
	})
	return c
}

// msParam parses the query parameter key as milliseconds in [lo, 60000]; an
// absent parameter yields def.
func msParam(r *api.Request, key string, def, lo int64) (int64, error) {
	s := r.QueryValue(key)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > 60000 {
		return 0, api.Error(http.StatusBadRequest,
			key+" must be an integer between "+strconv.FormatInt(lo, 10)+" and 60000")
	}
	return n, nil
}

func writeText(w api.Response, status int, text string) {
	api.SetContentType(w, "text/plain; charset=utf-8")
	_ = w.SetStatus(status)
	_, _ = w.WriteString(text)
}

// handleAnswer races the business logic against the async timeout.
// shuttingDown tells a timeout from the expiry a graceful shutdown brings.
func handleAnswer(w api.Response, r *api.Request, shuttingDown func() bool) error {
	work, err := msParam(r, "work", 50, 0)
	if err != nil {
		return err
	}
	timeout, err := msParam(r, "timeout", 100, 1) // 0 would mean "never"
	if err != nil {
		return err
	}

	a, err := async.Start(r)
	if err != nil {
		return err
	}
	a.SetTimeout(time.Duration(timeout) * time.Millisecond)
	// The work may take a minute, and a graceful shutdown has ten seconds
	// (cli.ShutdownTimeout): rather than wait for it and run out of time,
	// the shutdown expires the request at once, and OnTimeout answers.
	a.SetOnShutdown(async.ShutdownExpire)
	a.AddListener(async.Listener{
		// Runs as a serialized task of the request, never alongside the
		// business result's task. Completing here drops that task.
		OnTimeout: func(w api.Response, _ *api.Request) {
			if shuttingDown() {
				// Expired by the shutdown, before its time: the work was
				// not too slow, the server is going away.
				writeText(w, http.StatusServiceUnavailable, "shutting down")
			} else {
				writeText(w, http.StatusGatewayTimeout, timeoutBody(timeout))
			}
			_ = a.Complete()
		},
	})

	// The business logic runs on its own goroutine and never touches the
	// Response itself: it hands its result to Dispatch, which runs it
	// serialized with the timeout listener. If the timeout has already
	// completed the request, Dispatch returns api.ErrCompleted (or the task
	// is dropped) and the result is discarded.
	go func() {
		t := time.NewTimer(time.Duration(work) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done(): // the request completed (timed out, or the client left)
			return
		}
		_ = a.Dispatch(func(w api.Response) {
			writeText(w, http.StatusOK, answerBody)
			_ = a.Complete()
		})
	}()
	return nil
}
