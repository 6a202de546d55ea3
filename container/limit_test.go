package container_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Rapid reset (CVE-2023-44487) over many connections: HTTP/2 bounds the
// unfinished handlers of one connection, and WithMaxHandlers bounds them
// across connections. Ten connections first fill every place with a
// request for a handler that blocks, then each opens and at once resets
// hundreds of streams for it. The server's goroutines stay within
// WithMaxHandlers plus a small constant the whole time, and the reset
// streams, which wait for a place, are dropped without running.
func TestRapidResetAcrossConnections(t *testing.T) {
	const (
		maxHandlers = 50
		conns       = 10
		perConn     = 300 // on each connection: below HTTP/2's own cap of 1,000
		// slack is what the server runs besides the handlers: a writer per
		// connection while it has frames queued, the executor's idle
		// goroutines (dispatcher.DefaultMaxIdle) and the short tasks that
		// answer or drop a request.
		slack = 64
	)
	release := make(chan struct{})
	var running, calls atomic.Int64
	c := container.New(container.WithH2C(), container.WithMaxHandlers(maxHandlers),
		container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/sleep", func(w api.Response, r *api.Request) error {
		calls.Add(1)
		running.Add(1)
		defer running.Add(-1)
		select {
		case <-release:
		case <-time.After(wharftest.Patience):
		}
		return nil
	})
	addr := wharftest.Listen(t, c)

	// Connect first, so that the connections' own goroutines (the
	// server's reader, the client's) are in the baseline.
	clients := make([]*rawH2, conns)
	for i := range clients {
		clients[i] = dialRawH2(t, addr)
	}
	for _, cl := range clients {
		cl.ping(t) // the server serves the connection now
	}
	base := runtime.NumGoroutine()

	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := int64(runtime.NumGoroutine() - base); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()

	// Requests that stay fill every place: maxHandlers/conns per
	// connection, on streams 1, 3, ...
	const kept = maxHandlers / conns
	for _, cl := range clients {
		block := cl.headerBlock("/sleep")
		for i := range uint32(kept) {
			if err := cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 2*i + 1, BlockFragment: block, EndStream: true, EndHeaders: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	wharftest.WaitFor(t, "the places to fill", func() bool { return running.Load() >= maxHandlers })

	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			block := cl.headerBlock("/sleep")
			for i := range uint32(perConn) {
				id := 2*(kept+i) + 1
				if err := cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}); err != nil {
					t.Errorf("HEADERS %d: %v", id, err)
					return
				}
				if err := cl.fr.WriteRSTStream(id, xhttp2.ErrCodeCancel); err != nil {
					t.Errorf("RST_STREAM %d: %v", id, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// The server has read every frame once it answers a PING sent after
	// them; then every request it took is running, waiting, or gone.
	for _, cl := range clients {
		cl.ping(t)
	}
	wharftest.WaitFor(t, "every live request to be running its handler", func() bool {
		return c.Stats().Active == running.Load()
	})
	close(stop)
	<-sampled
	st := c.Stats()
	t.Logf("%d streams opened and reset on %d connections with every place taken: peak %d goroutines above the baseline; %d handlers running, %d queued",
		conns*perConn, conns, peak.Load(), running.Load(), st.Queued)
	if n := running.Load(); n > maxHandlers {
		t.Errorf("%d handlers run at once, want at most WithMaxHandlers = %d", n, maxHandlers)
	}
	if n := peak.Load(); n > maxHandlers+slack {
		t.Errorf("goroutines rose by %d, want at most %d (WithMaxHandlers) + %d", n, maxHandlers, slack)
	}
	if st.Queued != 0 {
		t.Errorf("%d reset streams still wait for a place", st.Queued)
	}

	close(release)
	wharftest.WaitFor(t, "the requests to end", func() bool { return c.Stats().Active == 0 })
	if n := calls.Load(); n != maxHandlers {
		t.Errorf("the handler ran %d times, want %d: reset streams that waited for a place ran once they had one", n, maxHandlers)
	}
	// The connections are still served.
	for _, cl := range clients {
		cl.ping(t)
	}
}

// rawH2 is a raw h2c connection with a goroutine reading its frames.
type rawH2 struct {
	nc    net.Conn
	fr    *xhttp2.Framer
	buf   bytes.Buffer
	enc   *hpack.Encoder
	pings chan [8]byte
	n     uint64
}

func dialRawH2(t *testing.T, addr string) *rawH2 {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(2 * wharftest.Patience))
	if _, err := io.WriteString(nc, xhttp2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	cl := &rawH2{nc: nc, fr: xhttp2.NewFramer(nc, nc), pings: make(chan [8]byte, 16)}
	cl.enc = hpack.NewEncoder(&cl.buf)
	if err := cl.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rd := xhttp2.NewFramer(nil, nc)
		for {
			f, err := rd.ReadFrame()
			if err != nil {
				return
			}
			if p, ok := f.(*xhttp2.PingFrame); ok && p.IsAck() {
				cl.pings <- p.Data
			}
		}
	}()
	t.Cleanup(func() { nc.Close(); <-done })
	return cl
}

// ping sends a PING and waits for its answer.
func (cl *rawH2) ping(t *testing.T) {
	t.Helper()
	cl.n++
	var data [8]byte
	data[0] = byte(cl.n)
	if err := cl.fr.WritePing(false, data); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-cl.pings:
		if got != data {
			t.Fatalf("PING answered with %v, want %v", got, data)
		}
	case <-time.After(wharftest.Patience):
		t.Fatal("no answer to a PING")
	}
}

func (cl *rawH2) headerBlock(path string) []byte {
	cl.buf.Reset()
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: "x"}, {Name: ":path", Value: path},
	} {
		cl.enc.WriteField(f)
	}
	return bytes.Clone(cl.buf.Bytes())
}

// WithMaxHandlers in every mode (both HTTP/1.1 connectors, TLS, HTTP/2,
// net/http, HTTP/3): at the limit a request waits and is served once a
// handler finishes; past the queue it is answered 503 at once; a
// NonBlocking handler does not count and is served meanwhile.
func TestMaxHandlers(t *testing.T) {
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) { testMaxHandlers(t, m) })
	}
}

func testMaxHandlers(t *testing.T, m modes.Mode) {
	started := make(chan string, 8)
	release := make(chan struct{}, 8)
	logs, logger := wharftest.NewLogRecorder()
	opts := append(modes.Options(m), container.WithMaxHandlers(2), container.WithHandlerQueue(1),
		container.WithLogger(logger))
	c := container.New(opts...)
	// The refusal past the queue is load shedding: the application's page
	// for it renders it. (A page that may block would count every request
	// of its context against the limit, /fast's too.)
	c.ErrorPageFor(api.ErrShed, api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("shed: " + container.ErrorOf(r).Error())
		return err
	}))
	c.HandleFunc("/block", func(w api.Response, r *api.Request) error {
		started <- r.Query().Get("id")
		select {
		case <-release:
		case <-time.After(wharftest.Patience):
			return api.Error(http.StatusGatewayTimeout, "never released")
		}
		_, err := w.WriteString("done " + r.Query().Get("id"))
		return err
	})
	c.Handle("/fast", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("fast")
		return err
	}))
	s := modes.Start(t, m, c)

	type answer struct {
		status int
		body   string
		retry  string
		err    error
	}
	get := func(path string) answer {
		resp, err := s.Client.Get(s.URL + path)
		if err != nil {
			return answer{err: err}
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, string(b), resp.Header.Get("Retry-After"), err}
	}
	answers := make(map[string]chan answer)
	send := func(id string) {
		ch := make(chan answer, 1)
		answers[id] = ch
		go func() { ch <- get("/block?id=" + id) }()
	}
	wantStarted := func(id string) {
		t.Helper()
		select {
		case got := <-started:
			if got != id {
				t.Fatalf("handler %s started, want %s", got, id)
			}
		case <-time.After(wharftest.Patience):
			t.Fatalf("handler %s did not start", id)
		}
	}
	wantServed := func(id string) {
		t.Helper()
		a := <-answers[id]
		if a.err != nil || a.status != http.StatusOK || a.body != "done "+id {
			t.Fatalf("request %s: %d %q %v, want 200 %q", id, a.status, a.body, a.err, "done "+id)
		}
	}

	send("a")
	wantStarted("a")
	send("b")
	wantStarted("b")

	// The third waits: no handler starts for it.
	send("c")
	deadline := time.Now().Add(wharftest.Patience)
	for c.Stats().Queued != 1 {
		select {
		case id := <-started:
			t.Fatalf("handler %s started with 2 running and WithMaxHandlers(2)", id)
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the third request never queued")
		}
	}
	if st := c.Stats(); st.Handlers != 2 {
		t.Errorf("Stats().Handlers = %d, want 2", st.Handlers)
	}

	// A NonBlocking handler does not count.
	if a := get("/fast"); a.err != nil || a.status != http.StatusOK || a.body != "fast" {
		t.Fatalf("NonBlocking handler at the limit: %d %q %v", a.status, a.body, a.err)
	}

	// The fourth finds the queue full: 503 at once, through its error
	// page, and logged at Debug only.
	const shed = "shed: 503 Service Unavailable: container: too many requests in progress: wharf: request shed under load"
	if a := get("/block?id=d"); a.err != nil || a.status != http.StatusServiceUnavailable || a.retry == "" || a.body != shed {
		t.Fatalf("past the queue: %d %q Retry-After %q %v, want 503 %q with Retry-After", a.status, a.body, a.retry, a.err, shed)
	}
	for _, r := range logs.Records() {
		if r.Level > slog.LevelDebug {
			t.Errorf("logged at %v: %s %v", r.Level, r.Message, r.Attrs)
		}
	}
	if st := c.Stats(); st.Rejected != 1 || st.Queued != 1 || st.Handlers != 2 {
		t.Errorf("Stats() = %+v, want 1 rejected, 1 queued, 2 handlers", st)
	}

	// One handler finishes: the waiting request takes its place.
	release <- struct{}{}
	wantStarted("c")
	release <- struct{}{}
	release <- struct{}{}
	for _, id := range []string{"a", "b", "c"} {
		wantServed(id)
	}
	select {
	case id := <-started:
		t.Fatalf("handler %s ran for the rejected request", id)
	default:
	}
	wharftest.WaitFor(t, "the places to be free", func() bool {
		st := c.Stats()
		return st.Handlers == 0 && st.Queued == 0 && st.Active == 0
	})
}

// blocker is a handler that blocks until released, counting its runs.
type blocker struct {
	started chan string
	release chan struct{}
	calls   atomic.Int64
}

func newBlocker() *blocker {
	return &blocker{started: make(chan string, 16), release: make(chan struct{}, 16)}
}

func (b *blocker) Serve(w api.Response, r *api.Request) error {
	b.calls.Add(1)
	b.started <- r.QueryValue("id")
	select {
	case <-b.release:
	case <-time.After(wharftest.Patience):
		return api.Error(http.StatusGatewayTimeout, "never released")
	}
	_, err := w.WriteString("done " + r.QueryValue("id"))
	return err
}

func (b *blocker) waitStarted(t *testing.T, id string) {
	t.Helper()
	select {
	case got := <-b.started:
		if got != id {
			t.Fatalf("handler %s started, want %s", got, id)
		}
	case <-time.After(wharftest.Patience):
		t.Fatalf("handler %s did not start", id)
	}
}

// getAsync GETs url on its own goroutine and reports the status and
// body.
func getAsync(client *http.Client, url string) <-chan string {
	ch := make(chan string, 1)
	go func() {
		resp, err := client.Get(url)
		if err != nil {
			ch <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		ch <- resp.Status + " " + string(b)
	}()
	return ch
}

// A request that waits for a place and whose client leaves (the HTTP/2
// stream reset; the connection closed, which the epoll connector notices)
// leaves the queue and never runs.
func TestMaxHandlersClientLeaves(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H2C} {
		t.Run(string(m), func(t *testing.T) {
			b := newBlocker()
			c := container.New(append(modes.Options(m), container.WithMaxHandlers(1))...)
			c.Handle("/block", b)
			s := modes.Start(t, m, c)
			a := getAsync(s.Client, s.URL+"/block?id=a")
			b.waitStarted(t, "a")

			addr := s.URL[len("http://"):]
			if m == modes.H2C {
				cl := dialRawH2(t, addr)
				if err := cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: cl.headerBlock("/block?id=b"), EndStream: true, EndHeaders: true}); err != nil {
					t.Fatal(err)
				}
				wharftest.WaitFor(t, "the request to wait", func() bool { return c.Stats().Queued == 1 })
				if err := cl.fr.WriteRSTStream(1, xhttp2.ErrCodeCancel); err != nil {
					t.Fatal(err)
				}
			} else {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				io.WriteString(nc, "GET /block?id=b HTTP/1.1\r\nHost: x\r\n\r\n")
				wharftest.WaitFor(t, "the request to wait", func() bool { return c.Stats().Queued == 1 })
				nc.Close()
			}
			wharftest.WaitFor(t, "the request to leave the queue", func() bool {
				st := c.Stats()
				return st.Queued == 0 && st.Active == 1
			})
			b.release <- struct{}{}
			if got := <-a; got != "200 OK done a" {
				t.Fatalf("request a: %q", got)
			}
			if n := b.calls.Load(); n != 1 {
				t.Errorf("the handler ran %d times, want 1: the request whose client left ran", n)
			}
		})
	}
}

// Shutdown serves the requests that wait for a place, once places free
// up; Close ends them without running their handlers.
func TestMaxHandlersShutdown(t *testing.T) {
	for _, graceful := range []bool{true, false} {
		name := map[bool]string{true: "Shutdown", false: "Close"}[graceful]
		t.Run(name, func(t *testing.T) {
			b := newBlocker()
			c := container.New(container.WithMaxHandlers(1), container.WithLogger(wharftest.DiscardLogger()))
			c.Handle("/block", b)
			addr := wharftest.Listen(t, c)
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: wharftest.Patience}
			a := getAsync(client, "http://"+addr+"/block?id=a")
			b.waitStarted(t, "a")
			w := getAsync(client, "http://"+addr+"/block?id=b")
			wharftest.WaitFor(t, "the request to wait", func() bool { return c.Stats().Queued == 1 })

			if graceful {
				done := make(chan error, 1)
				go func() { done <- c.Shutdown(context.Background()) }()
				b.release <- struct{}{}
				b.waitStarted(t, "b")
				b.release <- struct{}{}
				if err := <-done; err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
				for id, ch := range map[string]<-chan string{"a": a, "b": w} {
					if got := <-ch; got != "200 OK done "+id {
						t.Errorf("request %s: %q", id, got)
					}
				}
				return
			}
			c.Close()
			if got := <-w; strings.HasPrefix(got, "200") {
				t.Errorf("the waiting request was answered %q after Close", got)
			}
			b.release <- struct{}{}
			<-a
			wharftest.WaitFor(t, "every request to end", func() bool { return c.Stats().Active == 0 })
			if n := b.calls.Load(); n != 1 {
				t.Errorf("the handler ran %d times, want 1: the waiting request ran after Close", n)
			}
		})
	}
}
