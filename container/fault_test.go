package container_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	engine "github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// hangBound bounds every wait in these tests: long enough for a loaded CI
// machine under -race, short enough to turn a hang into a failure.
const hangBound = 10 * time.Second

// noticesGone reports whether mode m tells a suspended request that its
// client left (connector.Watcher): the epoll connector (cleartext and TLS),
// HTTP/2, and net/http and HTTP/3 (through the request's context) do. The
// portable connector cannot (see Stream.Watch in connector/stream.go):
// there the request ends through its timeout instead.
func noticesGone(m modes.Mode) bool {
	switch m {
	case modes.H2, modes.H2Portable, modes.H2C, modes.H2CPortable, modes.NetHTTP, modes.H3:
		return true
	case modes.H1, modes.H1TLS:
		return runtime.GOOS == "linux" // epoll; elsewhere HTTP/1.1 is portable
	}
	return false
}

// trace records, in order, what happened to one request: its dispatches
// (seen by the probe filter) and the callbacks of a listener that nobody
// else touches, so a panicking listener cannot hide a completion from it.
type trace struct {
	path  string
	ex    *engine.Exchange
	ready chan struct{} // closed when the request is suspended or has read what it waits for

	mu     sync.Mutex
	events []string
	endErr error // what OnComplete was given
	ioErr  error // the error the handler's read or write returned
	once   sync.Once
}

func (tr *trace) add(ev string) {
	tr.mu.Lock()
	tr.events = append(tr.events, ev)
	tr.mu.Unlock()
}

func (tr *trace) snapshot() ([]string, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.events), tr.endErr
}

func (tr *trace) setIOErr(err error) {
	tr.mu.Lock()
	tr.ioErr = err
	tr.mu.Unlock()
}

func (tr *trace) handlerErr() error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.ioErr
}

// markReady tells the test the request reached the point it waits for.
func (tr *trace) markReady() { tr.once.Do(func() { close(tr.ready) }) }

func (tr *trace) listener() async.Listener {
	return async.Listener{
		OnTimeout: func(api.Response, *api.Request) { tr.add("timeout") },
		OnError:   func(api.Response, *api.Request, error) { tr.add("error") },
		OnComplete: func(_ *api.Request, err error) {
			tr.mu.Lock()
			tr.endErr = err
			tr.mu.Unlock()
			tr.add("complete")
		},
	}
}

// waitReady waits until the handler marked the request ready.
func (tr *trace) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-tr.ready:
	case <-time.After(hangBound):
		ev, _ := tr.snapshot()
		t.Fatalf("%s: the request never got ready; events %v", tr.path, ev)
	}
}

// waitDone waits until the request completed and its OnComplete listeners
// ran.
func (tr *trace) waitDone(t *testing.T) {
	t.Helper()
	select {
	case <-tr.ex.Done():
	case <-time.After(hangBound):
		ev, _ := tr.snapshot()
		t.Fatalf("%s: the request never completed (state %s, events %v)", tr.path, tr.ex.State(), ev)
	}
}

// tracer hands the traces of the requests it probes to the test.
type tracer struct {
	traces chan *trace
	byEx   sync.Map // *engine.Exchange → *trace
}

func newTracer() *tracer { return &tracer{traces: make(chan *trace, 64)} }

// probe is a filter, added before any other so that it is outermost: it
// starts a request's trace on the initial dispatch, records every dispatch,
// and marks the request ready when it leaves the chain suspended.
func (tc *tracer) probe(w api.Response, r *api.Request, next api.Chain) error {
	var tr *trace
	switch async.KindOf(r) {
	case async.DispatchInitial:
		tr = &trace{path: r.Path(), ex: engine.From(r), ready: make(chan struct{})}
		tr.ex.AddListener(tr.listener())
		tc.byEx.Store(tr.ex, tr)
		tr.add("dispatch:initial")
		tc.traces <- tr
	case async.DispatchResumed:
		tr = tc.of(r)
		tr.add("dispatch:resumed")
	case async.DispatchExpired:
		tr = tc.of(r)
		tr.add("dispatch:expired")
	}
	err := next.Next(w, r)
	if continuation.Of(r).IsSuspended() {
		tr.markReady()
	}
	return err
}

// of returns the trace of r's request.
func (tc *tracer) of(r *api.Request) *trace {
	tr, _ := tc.byEx.Load(engine.From(r))
	return tr.(*trace)
}

// next returns the trace of the next request for path, passing over any
// left by an earlier, failed subtest.
func (tc *tracer) next(t *testing.T, path string) *trace {
	t.Helper()
	timeout := time.After(hangBound)
	for {
		select {
		case tr := <-tc.traces:
			if tr.path == path {
				return tr
			}
		case <-timeout:
			t.Fatalf("no request for %s reached the server", path)
		}
	}
}

// call is a request in flight whose client can walk away: over a raw
// connection in the HTTP/1.1 modes, through s.Client in the others.
type call struct {
	nc     net.Conn // HTTP/1.1 modes
	br     *bufio.Reader
	cancel context.CancelFunc // other modes: resets the request's stream
	pw     *io.PipeWriter     // other modes: the rest of the body, never sent
	result chan callResult
	resp   *http.Response
}

type callResult struct {
	resp *http.Response
	err  error
}

var errClientLeft = errors.New("the test client left")

// open sends a request for path. With declared > 0 it is a POST announcing
// declared body bytes of which only part is sent; the rest never comes.
func open(t *testing.T, s *modes.Server, path string, declared int, part []byte) *call {
	t.Helper()
	if s.Mode.HTTP1() {
		nc := s.DialHTTP1(t)
		t.Cleanup(func() { nc.Close() })
		head := "GET " + path + " HTTP/1.1\r\nHost: wharf\r\n\r\n"
		if declared > 0 {
			head = fmt.Sprintf("POST %s HTTP/1.1\r\nHost: wharf\r\nContent-Length: %d\r\n\r\n", path, declared)
		}
		if _, err := nc.Write(append([]byte(head), part...)); err != nil {
			t.Fatal(err)
		}
		return &call{nc: nc, br: bufio.NewReader(nc)}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &call{cancel: cancel, result: make(chan callResult, 1)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if declared > 0 {
		var pr *io.PipeReader
		pr, c.pw = io.Pipe()
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, io.MultiReader(bytes.NewReader(part), pr))
		if err == nil {
			req.ContentLength = int64(declared)
		}
	}
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		resp, err := s.Client.Do(req)
		c.result <- callResult{resp, err}
	}()
	t.Cleanup(func() { c.leave(t) })
	return c
}

// response waits for the response head.
func (c *call) response(t *testing.T) *http.Response {
	t.Helper()
	if c.nc != nil {
		c.nc.SetReadDeadline(time.Now().Add(hangBound))
		resp, err := http.ReadResponse(c.br, nil)
		if err != nil {
			t.Fatalf("reading the response head: %v", err)
		}
		c.resp = resp
		return resp
	}
	select {
	case r := <-c.result:
		if r.err != nil {
			t.Fatalf("request failed before its response: %v", r.err)
		}
		c.resp = r.resp
		return r.resp
	case <-time.After(hangBound):
		t.Fatal("no response head")
	}
	return nil
}

// leave makes the client walk away: it closes the connection in the
// HTTP/1.1 modes, and elsewhere cancels the request, which resets its
// stream and leaves the connection up. It waits until the client's
// goroutine has returned. Calling it again does nothing.
func (c *call) leave(t *testing.T) {
	if c.nc != nil {
		c.nc.Close()
		return
	}
	if c.cancel == nil {
		return
	}
	c.cancel()
	c.cancel = nil
	if c.pw != nil {
		c.pw.CloseWithError(errClientLeft)
	}
	if c.resp == nil {
		select {
		case r := <-c.result:
			c.resp = r.resp
		case <-time.After(hangBound):
			t.Error("the client's request did not return after its cancellation")
			return
		}
	}
	if c.resp != nil {
		c.resp.Body.Close()
	}
}

// serveTraced starts a container for mode m with the probe filter on
// "/t/*" and "/ok" answering "ok"; build adds the handlers under test.
func serveTraced(t *testing.T, m modes.Mode, tc *tracer, build func(c *container.Container), opts ...container.Option) *modes.Server {
	t.Helper()
	c := container.New(append(modes.Options(m), opts...)...)
	c.Filter("/t/*", api.FilterFunc(tc.probe))
	c.HandleFunc("/ok", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("ok")
		return err
	})
	build(c)
	return modes.Start(t, m, c)
}

// stillServes checks that the server answers the next request and that
// every request has ended.
func stillServes(t *testing.T, s *modes.Server) {
	t.Helper()
	if code, body, _ := get(t, s, "/ok"); code != 200 || body != "ok" {
		t.Fatalf("the next request got %d %q", code, body)
	}
	// /ok's Active count drops just after its response went out: poll.
	wharftest.WaitFor(t, "every request to end", func() bool { return s.Container.Stats().Active == 0 })
}

// checkEvents compares a trace's events with want.
func checkEvents(t *testing.T, tr *trace, want ...string) {
	t.Helper()
	if got, _ := tr.snapshot(); !slices.Equal(got, want) {
		t.Errorf("%s: events %v, want %v", tr.path, got, want)
	}
}

// checkEndedOnce checks what a request that was cut short went through:
// one dispatch, at most one OnError (a connector may report the client
// gone while the handler still runs, racing with the handler's own
// failure), then exactly one completion with an error.
func checkEndedOnce(t *testing.T, tr *trace, m modes.Mode) {
	t.Helper()
	got, endErr := tr.snapshot()
	want := []string{"dispatch:initial", "complete"}
	// HTTP/2, net/http and HTTP/3 tell a running request that its client
	// left; the epoll connector watches only suspended requests.
	if (m.HTTP2() || m == modes.NetHTTP || m == modes.H3) && slices.Contains(got, "error") {
		want = []string{"dispatch:initial", "error", "complete"}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: events %v, want %v", tr.path, got, want)
	}
	if endErr == nil {
		t.Errorf("%s: OnComplete saw success for a request whose client left", tr.path)
	}
}

// TestClientLeavesWhileSuspended proves that a request whose client leaves
// while it is suspended ends exactly once: where the connector notices
// (the suspension lasts an hour there, so nothing else can end it), at once
// through OnError then OnComplete with connector.ErrClientGone, with no
// expiry and no re-dispatch; elsewhere through its short timeout, the
// expired re-dispatch and OnComplete. Either way no request stays active
// and the server serves the next one.
func TestClientLeavesWhileSuspended(t *testing.T) {
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			timeout := time.Hour // only the client leaving can end the wait
			if !noticesGone(m) {
				timeout = 200 * time.Millisecond
			}
			tc := newTracer()
			s := serveTraced(t, m, tc, func(c *container.Container) {
				c.HandleFunc("/t/suspend", func(w api.Response, r *api.Request) error {
					cont := continuation.Of(r)
					if cont.IsInitial() {
						cont.SetTimeout(timeout)
						return cont.Suspend()
					}
					_, err := w.WriteString("expired")
					return err
				})
			})
			cl := open(t, s, "/t/suspend", 0, nil)
			tr := tc.next(t, "/t/suspend")
			tr.waitReady(t)
			cl.leave(t)
			tr.waitDone(t)

			want := []string{"dispatch:initial", "timeout", "dispatch:expired", "complete"}
			if noticesGone(m) {
				want = []string{"dispatch:initial", "error", "complete"}
				if _, err := tr.snapshot(); !errors.Is(err, connector.ErrClientGone) {
					t.Errorf("OnComplete got %v, want connector.ErrClientGone", err)
				}
			}
			checkEvents(t, tr, want...)
			// The container counts the request out before OnComplete runs.
			if n := s.Container.Stats().Active; n != 0 {
				t.Errorf("%d requests active after completion", n)
			}
			stillServes(t, s)
			checkEvents(t, tr, want...) // and nothing came late
		})
	}
}

// streamChunk is what the streaming handler writes and flushes each time.
var streamChunk = strings.Repeat("0123456789abcdef", 256) // 4 KiB

// errWritesNeverFailed is returned by the streaming handler if its client
// left and its writes kept succeeding.
var errWritesNeverFailed = errors.New("writes kept succeeding after the client left")

// TestClientLeavesWhileStreaming proves that a client leaving after the
// first chunk of a streamed response makes the handler's Write or Flush
// fail, and that the request then ends exactly once (OnComplete with an
// error), with no request left active and the server serving the next one.
func TestClientLeavesWhileStreaming(t *testing.T) {
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			tc := newTracer()
			rec, logger := wharftest.NewLogRecorder()
			s := serveTraced(t, m, tc, func(c *container.Container) {
				c.HandleFunc("/t/stream", func(w api.Response, r *api.Request) error {
					err := streamUntilError(w)
					tc.of(r).setIOErr(err)
					return err
				})
			}, container.WithLogger(logger))
			cl := open(t, s, "/t/stream", 0, nil)
			tr := tc.next(t, "/t/stream")
			resp := cl.response(t)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			first := make([]byte, len(streamChunk))
			if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != streamChunk {
				t.Fatalf("first chunk: %v %.20q", err, first)
			}
			cl.leave(t)
			tr.waitDone(t)

			err := tr.handlerErr()
			if err == nil || errors.Is(err, errWritesNeverFailed) {
				t.Errorf("the handler's writes ended with %v, want a write error", err)
			}
			// Wharf's connectors and HTTP/3 say why, so the container ends
			// the request quietly instead of logging a server failure.
			if m != modes.NetHTTP {
				if !errors.Is(err, connector.ErrClientGone) {
					t.Errorf("the handler's write error %v is not connector.ErrClientGone", err)
				}
				if recs := rec.Records(); len(recs) != 0 {
					t.Errorf("a client leaving was logged: %+v", recs)
				}
			}
			checkEndedOnce(t, tr, m)
			if n := s.Container.Stats().Active; n != 0 {
				t.Errorf("%d requests active after completion", n)
			}
			stillServes(t, s)
		})
	}
}

// streamUntilError writes and flushes streamChunk until a write or a flush
// fails, and returns that error.
func streamUntilError(w api.Response) error {
	deadline := time.Now().Add(hangBound)
	for time.Now().Before(deadline) {
		if _, err := w.WriteString(streamChunk); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return errWritesNeverFailed
}

// TestClientLeavesMidBody proves that a client announcing a 100000-byte body
// and leaving after 1000 bytes makes the handler's body read fail (not end
// quietly as if the body were complete), and that the request then ends
// exactly once, with no request left active and the server serving the next
// one.
func TestClientLeavesMidBody(t *testing.T) {
	const declared, sent = 100000, 1000
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			tc := newTracer()
			s := serveTraced(t, m, tc, func(c *container.Container) {
				c.HandleFunc("/t/upload", func(w api.Response, r *api.Request) error {
					tr := tc.of(r)
					part := make([]byte, sent)
					if _, err := io.ReadFull(r.Body(), part); err != nil {
						return fmt.Errorf("reading what the client sent: %w", err)
					}
					tr.markReady()
					n, err := io.Copy(io.Discard, r.Body())
					tr.setIOErr(err)
					if err == nil {
						return fmt.Errorf("the body ended quietly after %d of %d bytes", sent+n, declared)
					}
					return err
				})
			}, container.WithLogger(wharftest.DiscardLogger()))
			cl := open(t, s, "/t/upload", declared, bytes.Repeat([]byte("b"), sent))
			tr := tc.next(t, "/t/upload")
			tr.waitReady(t)
			cl.leave(t)
			tr.waitDone(t)

			if err := tr.handlerErr(); err == nil {
				t.Error("the body read after the client left returned no error")
			}
			checkEndedOnce(t, tr, m)
			if n := s.Container.Stats().Active; n != 0 {
				t.Errorf("%d requests active after completion", n)
			}
			stillServes(t, s)
		})
	}
}

// panicCase is a request that panics in one place. build maps path so that
// the request panics with value there.
type panicCase struct {
	name  string
	build func(x *container.Context, path, value string)
	// status and body are the answer the client must get; status 0 means
	// the response was committed and must be cut off, -1 that the client
	// has left (and nobody can be answered).
	status int
	body   string
	events []string                    // what the probe's listener must see
	ended  func(v any, err error) bool // the error OnComplete must get
}

var errBrokenPage = errors.New("its error page is broken")

// panicked reports whether err is the panic of value v.
func panicked(v any, err error) bool {
	var pe *api.PanicError
	return errors.As(err, &pe) && pe.Value == v
}

func succeeded(_ any, err error) bool { return err == nil }

func brokenPage(_ any, err error) bool { return errors.Is(err, errBrokenPage) }

var panicCases = []panicCase{{
	name: "dispatch",
	build: func(x *container.Context, path, v string) {
		x.HandleFunc(path, func(api.Response, *api.Request) error { panic(v) })
	},
	status: 500, events: []string{"dispatch:initial", "complete"}, ended: panicked,
}, {
	name: "resumed-dispatch",
	build: func(x *container.Context, path, v string) {
		x.HandleFunc(path, func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if !cont.IsInitial() {
				panic(v)
			}
			cont.SetTimeout(time.Minute)
			if err := cont.Suspend(); err != nil {
				return err
			}
			go cont.Resume() // from elsewhere, as an event would
			return nil
		})
	},
	status: 500, events: []string{"dispatch:initial", "dispatch:resumed", "complete"}, ended: panicked,
}, {
	name: "expired-dispatch",
	build: func(x *container.Context, path, v string) {
		x.HandleFunc(path, func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if !cont.IsInitial() {
				panic(v)
			}
			cont.SetTimeout(time.Millisecond)
			return cont.Suspend()
		})
	},
	status: 500, events: []string{"dispatch:initial", "timeout", "dispatch:expired", "complete"}, ended: panicked,
}, {
	// The panicking listener was added after the probe's, so the probe
	// still hears the timeout; the expired re-dispatch must not follow.
	name: "on-timeout",
	build: func(x *container.Context, path, v string) {
		x.HandleFunc(path, func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if !cont.IsInitial() {
				return errors.New("re-dispatched after its timeout listener panicked")
			}
			cont.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) { panic(v) }})
			cont.SetTimeout(time.Millisecond)
			return cont.Suspend()
		})
	},
	status: 500, events: []string{"dispatch:initial", "timeout", "complete"}, ended: panicked,
}, {
	// OnError is for a client that left: this one leaves while suspended.
	name: "on-error",
	build: func(x *container.Context, path, v string) {
		x.HandleFunc(path, func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if !cont.IsInitial() {
				return errors.New("re-dispatched after its client left")
			}
			engine.From(r).AddListener(async.Listener{OnError: func(api.Response, *api.Request, error) { panic(v) }})
			cont.SetTimeout(time.Hour)
			return cont.Suspend()
		})
	},
	// The request still ends with the client's leaving, not the panic:
	// nobody is there to hear a 500.
	status: -1, events: []string{"dispatch:initial", "error", "complete"},
	ended: func(_ any, err error) bool { return errors.Is(err, connector.ErrClientGone) },
}, {
	name: "on-complete",
	build: func(x *container.Context, path, v string) {
		x.HandleFunc(path, func(w api.Response, r *api.Request) error {
			continuation.Of(r).AddListener(continuation.Listener{OnComplete: func(*api.Request, error) { panic(v) }})
			_, err := w.WriteString("done")
			return err
		})
	},
	status: 200, body: "done", events: []string{"dispatch:initial", "complete"}, ended: succeeded,
}, {
	name: "filter-before-next",
	build: func(x *container.Context, path, v string) {
		x.FilterFunc(path, func(api.Response, *api.Request, api.Chain) error { panic(v) })
		x.HandleFunc(path, func(api.Response, *api.Request) error { return errors.New("reached past a panicking filter") })
	},
	status: 500, events: []string{"dispatch:initial", "complete"}, ended: panicked,
}, {
	// The handler's buffered body must not leak into the 500.
	name: "filter-after-next",
	build: func(x *container.Context, path, v string) {
		x.FilterFunc(path, func(w api.Response, r *api.Request, next api.Chain) error {
			next.Next(w, r)
			panic(v)
		})
		x.HandleFunc(path, func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("partial")
			return err
		})
	},
	status: 500, events: []string{"dispatch:initial", "complete"}, ended: panicked,
}, {
	name: "filter-after-commit",
	build: func(x *container.Context, path, v string) {
		x.FilterFunc(path, func(w api.Response, r *api.Request, next api.Chain) error {
			next.Next(w, r)
			panic(v)
		})
		x.HandleFunc(path, func(w api.Response, r *api.Request) error {
			if _, err := w.WriteString("partial"); err != nil {
				return err
			}
			return w.Flush()
		})
	},
	status: 0, events: []string{"dispatch:initial", "complete"}, ended: panicked,
}, {
	name: "async-dispatch",
	build: func(x *container.Context, path, v string) {
		x.HandleFunc(path, func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			return a.Dispatch(func(api.Response) { panic(v) })
		})
	},
	status: 500, events: []string{"dispatch:initial", "complete"}, ended: panicked,
}, {
	name: "async-executor",
	build: func(x *container.Context, path, v string) {
		x.HandleFunc(path, func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			a.Executor()(func() { panic(v) })
			return nil
		})
	},
	status: 500, events: []string{"dispatch:initial", "complete"}, ended: panicked,
}, {
	// The page fails, so the default page answers the original status.
	name: "error-page",
	build: func(x *container.Context, path, v string) {
		x.HandleFunc(path, func(api.Response, *api.Request) error {
			return &api.StatusError{Code: http.StatusConflict, Err: errBrokenPage}
		})
		x.ErrorPageFor(errBrokenPage, api.HandlerFunc(func(api.Response, *api.Request) error { panic(v) }))
	},
	status: 409, body: "409 Conflict: its error page is broken\n",
	events: []string{"dispatch:initial", "complete"}, ended: brokenPage,
}}

// TestPanicEverywhere proves, in every mode, for a panic in each place a
// request runs code (dispatches, listeners, filters, async tasks, error
// pages; OnError only where the connector notices a client leaving a
// suspended request): the client gets a sensible answer (500 without the panic's
// value, the intended answer if the panic came after it, or a cut-off
// response if it was committed), the panic is logged exactly once (with
// its stack), the request ends exactly once with the error it failed
// with, no request stays active, and the server serves the next request.
func TestPanicEverywhere(t *testing.T) {
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			rec, logger := wharftest.NewLogRecorder()
			tc := newTracer()
			s := serveTraced(t, m, tc, func(c *container.Container) {
				for _, pc := range panicCases {
					pc.build(c.Root(), "/t/"+pc.name, "panic-"+pc.name)
				}
			}, container.WithLogger(logger))
			for _, pc := range panicCases {
				t.Run(pc.name, func(t *testing.T) {
					path, value := "/t/"+pc.name, "panic-"+pc.name
					if pc.status == -1 && !noticesGone(m) {
						t.Skip("this connector does not notice a client leaving a suspended request")
					}
					logged := len(rec.Records())
					tr := requestPanic(t, s, tc, pc, path, value)
					tr.waitDone(t)

					checkEvents(t, tr, pc.events...)
					if _, err := tr.snapshot(); !pc.ended(value, err) {
						t.Errorf("OnComplete got %v", err)
					}
					checkPanicLogged(t, rec.Records()[logged:], value)
					if n := s.Container.Stats().Active; n != 0 {
						t.Errorf("%d requests active after completion", n)
					}
					stillServes(t, s)
					checkEvents(t, tr, pc.events...) // and nothing came late
				})
			}
		})
	}
}

// requestPanic sends pc's request, checks the client's answer and returns
// the request's trace.
func requestPanic(t *testing.T, s *modes.Server, tc *tracer, pc panicCase, path, value string) *trace {
	t.Helper()
	if pc.status == -1 {
		cl := open(t, s, path, 0, nil)
		tr := tc.next(t, path)
		tr.waitReady(t)
		cl.leave(t)
		return tr
	}
	code, body, err := fetch(s, path)
	switch {
	case pc.status == 0:
		if err == nil {
			t.Errorf("a committed response was completed (%d %q) after a panic", code, body)
		}
	case err != nil:
		t.Errorf("GET %s: %v", path, err)
	case code != pc.status || strings.Contains(body, value):
		t.Errorf("GET %s = %d %q, want %d without the panic's value", path, code, body, pc.status)
	case pc.status == 500 && body != "500 Internal Server Error\n":
		t.Errorf("GET %s answered %q, want the default 500 page", path, body)
	case pc.body != "" && body != pc.body:
		t.Errorf("GET %s answered %q, want %q", path, body, pc.body)
	}
	return tc.next(t, path)
}

// fetch is get without failing the test: a cut-off response is an error.
func fetch(s *modes.Server, path string) (int, string, error) {
	resp, err := s.Client.Get(s.URL + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// checkPanicLogged checks that records hold exactly one record, and that it
// tells of the panic of value and where it happened.
func checkPanicLogged(t *testing.T, records []wharftest.Record, value string) {
	t.Helper()
	if len(records) != 1 {
		for _, r := range records {
			t.Logf("logged: %s %v", r.Message, r.Attrs)
		}
		t.Fatalf("%d records logged, want one for the panic", len(records))
	}
	r := records[0]
	mentions := false
	for _, a := range r.Attrs {
		mentions = mentions || strings.Contains(a.String(), value)
	}
	if !mentions {
		t.Errorf("the record %q %v does not tell of the panic %q", r.Message, r.Attrs, value)
	}
	if !strings.Contains(r.Attrs["stack"].String(), "fault_test.go") {
		t.Errorf("the record %q has no stack showing where the panic happened: %.300s", r.Message, r.Attrs["stack"])
	}
}

// TestErrorPagePanicLogsStack proves that a panic in an error page is
// logged with its stack, as every other panic is (api/doc.go,
// docs/security.md). TestPanicEverywhere checks the rest of that case.
func TestErrorPagePanicLogsStack(t *testing.T) {
	rec, logger := wharftest.NewLogRecorder()
	c := container.New(container.WithLogger(logger))
	c.HandleFunc("/broken", func(api.Response, *api.Request) error {
		return &api.StatusError{Code: http.StatusConflict, Err: errBrokenPage}
	})
	c.Root().ErrorPageFor(errBrokenPage, api.HandlerFunc(func(api.Response, *api.Request) error { panic("panic-page") }))
	s := modes.Start(t, modes.H1, c)
	if code, _, _ := get(t, s, "/broken"); code != http.StatusConflict {
		t.Fatalf("status %d, want 409", code)
	}
	// Finish logs before it sends the answer: the record is there.
	checkPanicLogged(t, rec.Records(), "panic-page")
}
