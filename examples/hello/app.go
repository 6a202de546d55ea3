package main

import (
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/sse"
)

// Bounds of the query parameters.
const (
	maxMillis = 60000
	maxCPU    = 1_000_000_000
)

// newContainer builds the container with every handler of the example. The
// tests serve the same container on their own listener.
func newContainer(opts ...container.Option) *container.Container {
	c, _ := buildContainer(nil, opts...)
	return c
}

// buildContainer is newContainer with the events' log (nil: in memory).
// It also returns the Broker of /events, for its caller to close once the
// container has shut down.
func buildContainer(events sse.Log, opts ...container.Option) (*container.Container, *sse.Broker) {
	c := container.New(opts...)
	// /hello and /delay never block (one answers a short string, the other
	// suspends or answers one): declared NonBlocking, they run on the
	// goroutine that read the request, with no hand-off. /sleep and /cpu
	// hold their goroutine, so they stay Blocking (the default) and run
	// where they cannot hold up the connector.
	c.Handle("/hello", api.NonBlockingFunc(hello))
	c.HandleFunc("/sleep", sleep)
	c.Handle("/delay", api.NonBlockingFunc(delay))
	c.HandleFunc("/cpu", cpu)
	broker := handleEvents(c, events)

	// net/http handlers run unchanged in a Wharf context through the adapter
	// behind Mount. They see the full request path, which is what pprof's
	// handlers expect. A private mux keeps http.DefaultServeMux out of it.
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	c.Root().Mount("/debug/pprof/*", mux)
	return c, broker
}

// writeText answers text. Its only header field is its type, which
// SetContentType sets without making a header map.
func writeText(w api.Response, status int, text string) error {
	api.SetContentType(w, "text/plain; charset=utf-8")
	if err := w.SetStatus(status); err != nil {
		return err
	}
	_, err := w.WriteString(text)
	return err
}

// hello answers a greeting.
func hello(w api.Response, r *api.Request) error {
	name := r.QueryValue("name")
	if name == "" {
		name = "world"
	}
	return writeText(w, http.StatusOK, "Hello, "+name+"!")
}

// intParam parses the query parameter key as an integer in [lo, hi]; an
// absent parameter yields def. Anything else is a 400.
func intParam(r *api.Request, key string, def, lo, hi int64) (int64, error) {
	s := r.QueryValue(key)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, api.Error(http.StatusBadRequest,
			key+" must be an integer between "+strconv.FormatInt(lo, 10)+" and "+strconv.FormatInt(hi, 10))
	}
	return n, nil
}

// sleep blocks the handler's goroutine: the classic thread-per-request wait.
func sleep(w api.Response, r *api.Request) error {
	ms, err := intParam(r, "ms", 0, 0, maxMillis)
	if err != nil {
		return err
	}
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return writeText(w, http.StatusOK, "slept "+strconv.FormatInt(ms, 10)+" ms")
}

// delay waits the same way without holding a goroutine. The initial dispatch
// sets the continuation's timeout and suspends; when the timeout expires,
// the request is dispatched again, and that pass answers. The expiry is the
// only event, so the continuation is registered nowhere (a handler that
// waits for a Resume registers it after Suspend: see package continuation).
func delay(w api.Response, r *api.Request) error {
	ms, err := intParam(r, "ms", 0, 0, maxMillis)
	if err != nil {
		return err
	}
	c := continuation.Of(r)
	if c.IsInitial() && ms > 0 { // a zero timeout would mean "forever"
		c.SetTimeout(time.Duration(ms) * time.Millisecond)
		return c.Suspend()
	}
	// Expired (or, on shutdown, expired early): answer.
	return writeText(w, http.StatusOK, "delayed "+strconv.FormatInt(ms, 10)+" ms")
}

// cpu burns n iterations of xorshift64 and answers the final state.
func cpu(w api.Response, r *api.Request) error {
	n, err := intParam(r, "n", 1000, 0, maxCPU)
	if err != nil {
		return err
	}
	return writeText(w, http.StatusOK, strconv.FormatUint(xorshift(n), 10))
}

// xorshift runs n rounds of Marsaglia's xorshift64 from a fixed seed.
func xorshift(n int64) uint64 {
	x := uint64(88172645463325252)
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}
