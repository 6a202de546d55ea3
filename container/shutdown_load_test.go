package container_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Issue 6: graceful shutdown under load. Shutdown(ctx) stops accepting,
// finishes in-flight requests, expires suspended ones through their timeout
// path, and loses no accepted request. Clients drive constant load, the
// container shuts down midway, and every request ends up in exactly one of:
//
//   - answered: a complete 200 response carrying the body expected for that
//     very request (the body echoes the request's id);
//   - refused: the connect failed (ECONNREFUSED once the listener is
//     closed; see shutdownLoadRefusal), or, for the net/http client, the
//     connection ended before the request was written;
//   - unprocessed: the connection closed with zero response bytes, after
//     Shutdown began, and the server never dispatched the request (see
//     shutdownLoadFailed for why this is not a loss, and why it cannot be
//     avoided);
//   - hung: the request's 10 s deadline passed;
//   - lost: anything else (a reset after some response bytes, a truncated
//     body, a wrong status or body, a failure before Shutdown began, or a
//     request the server dispatched whose answer never arrived).
//
// The test requires lost == 0 and hung == 0.
//
// Every request carries a unique id. The handlers record the id of every
// request they dispatch: that is the server's own view of which requests it
// accepted, and it is checked against the client's: every request the
// server dispatched must have been answered.

// shutdownLoadClients is how many client goroutines drive the load.
const shutdownLoadClients = 32

// shutdownLoadHeld is how many /wait requests are never resumed: Shutdown
// must expire them, so expiries are guaranteed whatever the timing.
const shutdownLoadHeld = 4

// shutdownLoadWarm is how many answers must come before Shutdown is called.
const shutdownLoadWarm = 300

// shutdownLoadDeadline bounds every request: a request still unanswered then
// is hung.
const shutdownLoadDeadline = 10 * time.Second

func TestShutdownUnderLoad(t *testing.T) {
	variants := []struct {
		mode modes.Mode
		conn string // HTTP/1.1 only: "keepalive" or "close" (one request per connection)
	}{
		{modes.H1, "keepalive"},
		{modes.H1, "close"},
		{modes.H1Portable, "keepalive"},
		{modes.H1Portable, "close"},
		{modes.H2C, ""},
		{modes.H2, ""},
	}
	for _, v := range variants {
		name := string(v.mode)
		if v.conn != "" {
			name += "/" + v.conn
		}
		t.Run(name, func(t *testing.T) {
			shutdownLoadRun(t, v.mode, v.conn == "close")
		})
	}
}

// shutdownLoadServer is the server side's record of what it dispatched.
type shutdownLoadServer struct {
	mu   sync.Mutex
	seen map[uint64]string // request id -> path, at the initial dispatch

	expiries atomic.Int64  // OnTimeout calls
	held     chan struct{} // one per held /wait request suspended
	resumers sync.WaitGroup

	// timedOut holds the id of every request whose OnTimeout ran, and
	// resumedInTimeout counts those answered "resumed": a Resume that
	// comes while the timeout's listeners run is taken in place of the
	// expired re-dispatch (continuation.Continuation.Resume).
	timedOut         map[uint64]bool
	resumedInTimeout int
}

func (s *shutdownLoadServer) record(r *api.Request, path string) (uint64, error) {
	id, err := strconv.ParseUint(r.QueryValue("id"), 10, 64)
	if err != nil {
		return 0, api.Error(http.StatusBadRequest, "no id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.seen[id]; dup {
		return 0, api.Error(http.StatusConflict, "request id dispatched twice")
	}
	s.seen[id] = path
	return id, nil
}

func (s *shutdownLoadServer) build(c *container.Container) {
	c.HandleFunc("/fast", func(w api.Response, r *api.Request) error {
		id, err := s.record(r, "/fast")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "fast:%d", id)
		return err
	})
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		id, err := s.record(r, "/slow")
		if err != nil {
			return err
		}
		// Simulated work holding the goroutine, so that Shutdown finds
		// requests running: this waits for no event.
		time.Sleep(time.Duration(1+rand.IntN(3)) * time.Millisecond)
		_, err = fmt.Fprintf(w, "slow:%d", id)
		return err
	})
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		switch {
		case cont.IsInitial():
			id, err := s.record(r, "/wait")
			if err != nil {
				return err
			}
			cont.SetTimeout(time.Hour) // only Shutdown expires it
			cont.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) {
				s.expiries.Add(1)
				s.mu.Lock()
				s.timedOut[id] = true
				s.mu.Unlock()
			}})
			if err := cont.Suspend(); err != nil {
				return err
			}
			if r.QueryValue("hold") != "" {
				s.held <- struct{}{}
				return nil
			}
			// Resumed by an event a little later, unless Shutdown expires
			// it first: exactly one of the two wins.
			s.resumers.Add(1)
			time.AfterFunc(time.Duration(rand.IntN(20_000))*time.Microsecond, func() {
				defer s.resumers.Done()
				_ = cont.Resume()
			})
			return nil
		case cont.IsResumed():
			if id, err := strconv.ParseUint(r.QueryValue("id"), 10, 64); err == nil {
				s.mu.Lock()
				if s.timedOut[id] {
					s.resumedInTimeout++
				}
				s.mu.Unlock()
			}
			_, err := fmt.Fprintf(w, "resumed:%s", r.QueryValue("id"))
			return err
		case cont.IsExpired():
			_, err := fmt.Fprintf(w, "expired:%s", r.QueryValue("id"))
			return err
		}
		return errors.New("unexpected dispatch")
	})
}

// shutdownLoadOutcome is how one request ended.
type shutdownLoadOutcome int

const (
	shutdownLoadAnswered shutdownLoadOutcome = iota
	shutdownLoadRefused
	shutdownLoadUnprocessed
	shutdownLoadHung
	shutdownLoadLost
)

// shutdownLoadTally counts outcomes; every client goroutine reports to it.
type shutdownLoadTally struct {
	shutdownStarted atomic.Bool // set just before Shutdown is called
	shutdownDone    atomic.Bool // set once Shutdown returned
	warm            chan struct{}
	warmOnce        sync.Once

	mu          sync.Mutex
	answered    map[uint64]string // id -> body
	unprocessed map[uint64]string // id -> the error
	refused     int
	hung        int
	lost        int
	expired     int // answered "expired:"
	heldExpired int
	postRefused int      // requests begun after Shutdown returned, refused
	samples     []string // what went wrong, the first few
}

func (ty *shutdownLoadTally) note(o shutdownLoadOutcome, id uint64, detail string, held bool) {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	switch o {
	case shutdownLoadAnswered:
		ty.answered[id] = detail
		if strings.HasPrefix(detail, "expired:") {
			ty.expired++
			if held {
				ty.heldExpired++
			}
		}
		if len(ty.answered) == shutdownLoadWarm {
			ty.warmOnce.Do(func() { close(ty.warm) })
		}
		return
	case shutdownLoadRefused:
		ty.refused++
		return
	case shutdownLoadUnprocessed:
		ty.unprocessed[id] = detail
		return
	case shutdownLoadHung:
		ty.hung++
	case shutdownLoadLost:
		ty.lost++
	}
	if len(ty.samples) < 10 {
		kind := map[shutdownLoadOutcome]string{shutdownLoadHung: "hung", shutdownLoadLost: "lost"}[o]
		ty.samples = append(ty.samples, fmt.Sprintf("%s id=%d: %s", kind, id, detail))
	}
}

// shutdownLoadPick chooses a path and the body prefixes that answer it.
func shutdownLoadPick() (path string, want []string) {
	switch n := rand.IntN(10); {
	case n < 4:
		return "/fast", []string{"fast:"}
	case n < 7:
		return "/slow", []string{"slow:"}
	default:
		return "/wait", []string{"resumed:", "expired:"}
	}
}

// shutdownLoadBodyOK reports whether body answers request id.
func shutdownLoadBodyOK(body string, id uint64, want []string) bool {
	for _, p := range want {
		if body == p+strconv.FormatUint(id, 10) {
			return true
		}
	}
	return false
}

// shutdownLoadRequester sends one request and classifies its outcome. A
// client goroutine owns one; it holds the client's connection, if any.
type shutdownLoadRequester interface {
	do(ty *shutdownLoadTally, id uint64, path string, want []string, held bool) shutdownLoadOutcome
	close()
}

func shutdownLoadRun(t *testing.T, m modes.Mode, oneShot bool) {
	srv := &shutdownLoadServer{seen: make(map[uint64]string), held: make(chan struct{}, shutdownLoadHeld), timedOut: make(map[uint64]bool)}
	c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
	srv.build(c)
	// Start registers a cleanup that calls Shutdown a second time: it must
	// return nil then too (modes.shutdown fails the test otherwise).
	s := modes.Start(t, m, c)

	ty := &shutdownLoadTally{
		warm:        make(chan struct{}),
		answered:    make(map[uint64]string),
		unprocessed: make(map[uint64]string),
	}
	var nextID atomic.Uint64
	var wg sync.WaitGroup
	stop := make(chan struct{}) // ends the load early if the test fails
	for i := range shutdownLoadClients {
		var rq shutdownLoadRequester
		if m.HTTP1() {
			rq = &shutdownLoadH1{addr: strings.TrimPrefix(s.URL, "http://"), oneShot: oneShot}
		} else {
			rq = &shutdownLoadNetHTTP{client: s.Client, url: s.URL}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer rq.close()
			held := i < shutdownLoadHeld // its first request is never resumed
			post := 0                    // requests begun after Shutdown returned
			for {
				select {
				case <-stop:
					return
				default:
				}
				after := ty.shutdownDone.Load()
				id := nextID.Add(1)
				path, want := shutdownLoadPick()
				if held {
					path, want = "/wait", []string{"expired:"}
				}
				o := rq.do(ty, id, path, want, held)
				held = false
				if !after {
					continue
				}
				// Shutdown has returned: nothing is served any more. A
				// kept-alive connection may still have to be found closed
				// (unprocessed) before a dial is refused.
				post++
				switch {
				case o == shutdownLoadRefused:
					ty.mu.Lock()
					ty.postRefused++
					ty.mu.Unlock()
					return
				case o != shutdownLoadUnprocessed || post >= 3:
					ty.note(shutdownLoadLost, id, fmt.Sprintf("request begun after Shutdown returned ended %d, not refused", o), false)
					return
				}
			}
		}()
	}
	clientsDone := make(chan struct{})
	go func() { wg.Wait(); close(clientsDone) }()
	abort := func(format string, args ...any) {
		t.Helper()
		close(stop)
		c.Close()
		<-clientsDone
		t.Fatalf(format, args...)
	}

	// Warm up: enough answers, and every held request suspended.
	timeout := time.NewTimer(shutdownLoadDeadline)
	defer timeout.Stop()
	select {
	case <-ty.warm:
	case <-timeout.C:
		ty.mu.Lock()
		n := len(ty.answered)
		ty.mu.Unlock()
		abort("only %d answers before shutdown", n)
	}
	for range shutdownLoadHeld {
		select {
		case <-srv.held:
		case <-timeout.C:
			abort("held /wait requests not suspended")
		}
	}
	if st := c.Stats(); st.Suspended < shutdownLoadHeld {
		abort("before shutdown: %d suspended, want at least %d", st.Suspended, shutdownLoadHeld)
	}

	ty.shutdownStarted.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	began := time.Now()
	err := c.Shutdown(ctx)
	took := time.Since(began)
	ty.shutdownDone.Store(true)
	if err != nil {
		abort("Shutdown: %v after %v", err, took)
	}
	// Shutdown again (as modes.Start's cleanup does too): nothing is left
	// to wait for, and it must say so.
	if err := c.Shutdown(ctx); err != nil {
		abort("second Shutdown: %v", err)
	}
	// Clients stop by themselves once a dial is refused; each request is
	// bounded by its deadline, so this wait is too.
	select {
	case <-clientsDone:
	case <-time.After(shutdownLoadDeadline + 5*time.Second):
		t.Fatal("client goroutines hung after Shutdown")
	}
	// The resumers of requests that Shutdown expired find nothing to resume.
	resumersDone := make(chan struct{})
	go func() { srv.resumers.Wait(); close(resumersDone) }()
	select {
	case <-resumersDone:
	case <-time.After(5 * time.Second):
		t.Fatal("resume timers did not run")
	}

	st := c.Stats()
	ty.mu.Lock()
	defer ty.mu.Unlock()
	srv.mu.Lock()
	defer srv.mu.Unlock()

	// The server's view: every request it dispatched was answered, and no
	// request counted unprocessed was dispatched.
	var dispatchedUnanswered []string
	for id, path := range srv.seen {
		if _, ok := ty.answered[id]; !ok {
			what := "no answer"
			if e, ok := ty.unprocessed[id]; ok {
				what = "connection closed with no response byte: " + e
			}
			dispatchedUnanswered = append(dispatchedUnanswered, fmt.Sprintf("id=%d %s: %s", id, path, what))
		}
	}
	t.Logf("answered %d (expired %d), refused %d (after Shutdown returned %d), unprocessed %d, lost %d, hung %d; dispatched %d, expiries %d (resumed in the timeout %d); Shutdown took %v",
		len(ty.answered), ty.expired, ty.refused, ty.postRefused, len(ty.unprocessed), ty.lost, ty.hung, len(srv.seen), srv.expiries.Load(), srv.resumedInTimeout, took)
	if len(ty.unprocessed) > 0 {
		for id, e := range ty.unprocessed {
			t.Logf("unprocessed, for example: id=%d: %s", id, e)
			break
		}
	}

	if ty.lost != 0 || ty.hung != 0 {
		t.Errorf("lost %d, hung %d:\n%s", ty.lost, ty.hung, strings.Join(ty.samples, "\n"))
	}
	if len(dispatchedUnanswered) > 0 {
		if len(dispatchedUnanswered) > 10 {
			dispatchedUnanswered = dispatchedUnanswered[:10]
		}
		t.Errorf("requests dispatched by the server but never answered (lost):\n%s", strings.Join(dispatchedUnanswered, "\n"))
	}
	if len(ty.answered) < shutdownLoadWarm {
		t.Errorf("answered %d, want at least %d", len(ty.answered), shutdownLoadWarm)
	}
	if ty.postRefused != shutdownLoadClients {
		t.Errorf("%d of %d clients saw a refusal after Shutdown returned", ty.postRefused, shutdownLoadClients)
	}
	if ty.refused < ty.postRefused {
		t.Errorf("refused %d < %d", ty.refused, ty.postRefused)
	}
	// Each OnTimeout is answered once: by the expired re-dispatch, or by a
	// Resume that came while the listeners ran.
	if n := srv.expiries.Load(); n != int64(ty.expired+srv.resumedInTimeout) {
		t.Errorf("OnTimeout ran %d times, %d requests answered \"expired\" and %d \"resumed\" after their timeout", n, ty.expired, srv.resumedInTimeout)
	}
	if ty.heldExpired != shutdownLoadHeld {
		t.Errorf("%d of %d held requests answered \"expired\"", ty.heldExpired, shutdownLoadHeld)
	}
	if st.Active != 0 || st.Suspended != 0 || st.Connections.Open != 0 {
		t.Errorf("after Shutdown: active %d, suspended %d, connections open %d", st.Active, st.Suspended, st.Connections.Open)
	}
}

// shutdownLoadFailed classifies a request that got no complete answer.
//
// Why "unprocessed" exists. A kept-alive HTTP/1.1 connection is idle
// between a response and the next request, and Shutdown closes idle
// connections (connector/server.go, closeIfIdle). A client cannot see that
// coming: a request it writes at that moment reaches a socket the server
// closes without reading it, and the client sees EOF or a reset with no
// response byte. RFC 9112 §9.6 makes clients ready for exactly that ("a
// client [...] MUST be prepared to retry"): the race is in the protocol, not
// in the server. The same holds for a fresh connection: the kernel completes
// the handshake for a connection still in the listen backlog (or just
// accepted, with no byte read yet), and closing the listener or the idle
// connection resets it with the request unread. So a failure counts as
// unprocessed only if all of these hold, and as lost otherwise:
//
//   - no response byte arrived (zero bytes read for this request);
//   - the error is the connection's end (EOF, ECONNRESET, EPIPE);
//   - the request was written onto an idle connection: a fresh one, or one
//     whose previous response had been read in full, nothing buffered
//     (these clients never pipeline, and check it);
//   - Shutdown had begun: nothing else closes connections in this test
//     (the idle timeout is the default, far longer than the test).
//
// The server's record then settles it: if the server dispatched the request
// anyway (read it, ran the handler, and closed without answering), it is
// lost after all — the check at the end of shutdownLoadRun.
func shutdownLoadFailed(ty *shutdownLoadTally, id uint64, got int64, err error, held bool) shutdownLoadOutcome {
	detail := err.Error()
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		ty.note(shutdownLoadHung, id, detail, held)
		return shutdownLoadHung
	case got > 0:
		detail = fmt.Sprintf("%d response bytes, then %v", got, err)
	case !shutdownLoadConnEnd(err):
		detail = "not a connection close: " + detail
	case !ty.shutdownStarted.Load():
		detail = "connection closed before Shutdown: " + detail
	case held:
		detail = "held request not answered: " + detail
	default:
		ty.note(shutdownLoadUnprocessed, id, detail, held)
		return shutdownLoadUnprocessed
	}
	ty.note(shutdownLoadLost, id, detail, held)
	return shutdownLoadLost
}

// shutdownLoadDial dials addr; a refusal is the outcome "refused".
func shutdownLoadDial(ty *shutdownLoadTally, addr string, id uint64, held bool) (net.Conn, shutdownLoadOutcome, bool) {
	nc, err := net.DialTimeout("tcp", addr, shutdownLoadDeadline)
	if err == nil {
		return nc, 0, true
	}
	switch {
	case !shutdownLoadRefusal(err):
		ty.note(shutdownLoadLost, id, "dial: "+err.Error(), held)
		return nil, shutdownLoadLost, false
	case !ty.shutdownStarted.Load():
		ty.note(shutdownLoadLost, id, "refused before Shutdown: "+err.Error(), held)
		return nil, shutdownLoadLost, false
	}
	ty.note(shutdownLoadRefused, id, "", held)
	return nil, shutdownLoadRefused, false
}

// shutdownLoadConnEnd reports whether err says the connection ended: EOF,
// a reset, or a write to a closed socket.
func shutdownLoadConnEnd(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// shutdownLoadRefusal reports whether err is a refused connect: ECONNREFUSED
// once the listener is closed, or ECONNRESET from connect(2) itself, which
// Linux returns for a handshake still in progress when the listener
// closes. Either way the dial failed: no request byte was sent.
func shutdownLoadRefusal(err error) bool {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// shutdownLoadH1 speaks raw HTTP/1.1 over one connection at a time, so that
// it knows exactly what was written and what came back.
type shutdownLoadH1 struct {
	addr    string
	oneShot bool // one request per connection, with Connection: close
	nc      net.Conn
	cr      *shutdownLoadCounter
	br      *bufio.Reader
}

// shutdownLoadCounter counts the bytes read from a connection.
type shutdownLoadCounter struct {
	r io.Reader
	n int64
}

func (c *shutdownLoadCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (h *shutdownLoadH1) close() {
	if h.nc != nil {
		h.nc.Close()
		h.nc = nil
	}
}

func (h *shutdownLoadH1) do(ty *shutdownLoadTally, id uint64, path string, want []string, held bool) shutdownLoadOutcome {
	if h.nc == nil {
		nc, o, ok := shutdownLoadDial(ty, h.addr, id, held)
		if !ok {
			return o
		}
		h.nc = nc
		h.cr = &shutdownLoadCounter{r: nc}
		h.br = bufio.NewReader(h.cr)
	} else if h.br.Buffered() != 0 {
		// Never happens: responses are read in full before the next
		// request, so a request is only ever written to an idle connection.
		h.close()
		ty.note(shutdownLoadLost, id, "bytes left over from the previous response", held)
		return shutdownLoadLost
	}
	if h.oneShot {
		defer h.close()
	}
	h.nc.SetDeadline(time.Now().Add(shutdownLoadDeadline))
	target := fmt.Sprintf("%s?id=%d", path, id)
	if held {
		target += "&hold=1"
	}
	req := "GET " + target + " HTTP/1.1\r\nHost: wharf\r\n"
	if h.oneShot {
		req += "Connection: close\r\n"
	}
	before := h.cr.n
	if _, err := io.WriteString(h.nc, req+"\r\n"); err != nil {
		h.close()
		return shutdownLoadFailed(ty, id, 0, err, held)
	}
	resp, err := http.ReadResponse(h.br, nil)
	if err != nil {
		got := h.cr.n - before
		h.close()
		return shutdownLoadFailed(ty, id, got, err, held)
	}
	b, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		h.close()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			ty.note(shutdownLoadHung, id, "body: "+err.Error(), held)
			return shutdownLoadHung
		}
		ty.note(shutdownLoadLost, id, fmt.Sprintf("truncated body %q: %v", b, err), held)
		return shutdownLoadLost
	case resp.StatusCode != http.StatusOK || !shutdownLoadBodyOK(string(b), id, want):
		h.close()
		ty.note(shutdownLoadLost, id, fmt.Sprintf("%s %s: %d %q", path, target, resp.StatusCode, b), held)
		return shutdownLoadLost
	case h.oneShot && !resp.Close:
		ty.note(shutdownLoadLost, id, "no Connection: close in the answer to Connection: close", held)
		return shutdownLoadLost
	}
	if resp.Close {
		h.close()
	}
	ty.note(shutdownLoadAnswered, id, string(b), held)
	return shutdownLoadAnswered
}

// shutdownLoadNetHTTP sends through net/http's client (HTTP/2 here). Its
// transport retries by itself what the protocol says was not processed (a
// stream above the last id of a GOAWAY, a refused stream, a kept-alive
// connection found closed before anything was written), so the error it
// returns is final, and classified strictly: a refused dial, or a
// connection that ended before the request was written (a TLS handshake cut
// by Shutdown), is "refused" at connect; any other error is lost: HTTP/2
// has GOAWAY to say which streams were not processed, so a server that
// shuts down gracefully never leaves a written request in doubt.
type shutdownLoadNetHTTP struct {
	client *http.Client
	url    string
}

func (n *shutdownLoadNetHTTP) close() {}

func (n *shutdownLoadNetHTTP) do(ty *shutdownLoadTally, id uint64, path string, want []string, held bool) shutdownLoadOutcome {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownLoadDeadline)
	defer cancel()
	var gotByte, wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaders:         func() { wrote.Store(true) },
		GotFirstResponseByte: func() { gotByte.Store(true) },
	})
	target := fmt.Sprintf("%s%s?id=%d", n.url, path, id)
	if held {
		target += "&hold=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		panic(err)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			ty.note(shutdownLoadHung, id, err.Error(), held)
			return shutdownLoadHung
		case !shutdownLoadRefusal(err) && (wrote.Load() || gotByte.Load() || !shutdownLoadConnEnd(err)):
			ty.note(shutdownLoadLost, id, fmt.Sprintf("request written %v, response begun %v: %v", wrote.Load(), gotByte.Load(), err), held)
			return shutdownLoadLost
		case !ty.shutdownStarted.Load():
			ty.note(shutdownLoadLost, id, "refused before Shutdown: "+err.Error(), held)
			return shutdownLoadLost
		}
		ty.note(shutdownLoadRefused, id, "", held)
		return shutdownLoadRefused
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		ty.note(shutdownLoadHung, id, "body: "+err.Error(), held)
		return shutdownLoadHung
	case err != nil:
		ty.note(shutdownLoadLost, id, fmt.Sprintf("truncated body %q: %v", b, err), held)
		return shutdownLoadLost
	case resp.StatusCode != http.StatusOK || !shutdownLoadBodyOK(string(b), id, want):
		ty.note(shutdownLoadLost, id, fmt.Sprintf("%s: %d %q", target, resp.StatusCode, b), held)
		return shutdownLoadLost
	}
	ty.note(shutdownLoadAnswered, id, string(b), held)
	return shutdownLoadAnswered
}
