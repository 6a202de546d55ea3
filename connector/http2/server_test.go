package http2_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// h2Response is what a raw client read of one stream's response.
type h2Response struct {
	status   string
	header   map[string]string
	body     strings.Builder
	trailer  map[string]string
	rst      xhttp2.ErrCode
	reset    bool
	complete bool // END_STREAM seen
}

// readResponses reads frames until every stream in ids has ended (END_STREAM
// or RST_STREAM), answering nothing. It fails the test on GOAWAY or EOF.
func (c *h2Client) readResponses(t *testing.T, ids ...uint32) map[uint32]*h2Response {
	t.Helper()
	out := make(map[uint32]*h2Response)
	for _, id := range ids {
		out[id] = &h2Response{header: map[string]string{}}
	}
	left := len(ids)
	if c.dec == nil {
		c.dec = hpack.NewDecoder(4096, nil)
	}
	dec := c.dec
	for left > 0 {
		f, err := c.fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading frames: %v", err)
		}
		r := out[f.Header().StreamID]
		switch f := f.(type) {
		case *xhttp2.GoAwayFrame:
			t.Fatalf("GOAWAY %v while streams were open", f.ErrCode)
		case *xhttp2.HeadersFrame:
			fields, err := dec.DecodeFull(f.HeaderBlockFragment())
			if err != nil {
				t.Fatal(err)
			}
			if r == nil {
				continue
			}
			for _, hf := range fields {
				switch {
				case hf.Name == ":status":
					r.status = hf.Value
				case r.status != "" && len(r.header) > 0 && f.StreamEnded() && r.body.Len() > 0:
					if r.trailer == nil {
						r.trailer = map[string]string{}
					}
					r.trailer[hf.Name] = hf.Value
				default:
					r.header[hf.Name] = hf.Value
				}
			}
			if f.StreamEnded() {
				r.complete = true
				left--
			}
		case *xhttp2.DataFrame:
			if r == nil {
				continue
			}
			r.body.Write(f.Data())
			if f.StreamEnded() {
				r.complete = true
				left--
			}
		case *xhttp2.RSTStreamFrame:
			if r != nil && !r.complete && !r.reset {
				r.reset, r.rst = true, f.ErrCode
				left--
			}
		}
	}
	return out
}

// expectReset reads frames until the first RST_STREAM, which must be
// stream id's, with code.
func (c *h2Client) expectReset(t *testing.T, id uint32, code xhttp2.ErrCode) {
	t.Helper()
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := f.(*xhttp2.RSTStreamFrame); ok {
			if r.StreamID != id || r.ErrCode != code {
				t.Fatalf("RST_STREAM %d %v, want stream %d %v", r.StreamID, r.ErrCode, id, code)
			}
			return
		}
	}
}

// get opens stream id with a request for path (method GET unless given
// with ":method" in extra), ending the stream unless body follows.
func (c *h2Client) get(t testing.TB, id uint32, path string, end bool, extra ...hpack.HeaderField) {
	t.Helper()
	if err := c.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: c.headerBlock(path, extra...), EndStream: end, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
}

// A handler blocked on a flow-control window holds only its own goroutine:
// with the executor's one worker taken by it, the connection still answers
// PING and takes the WINDOW_UPDATE that frees it, and the next request is
// served after it (the HTTP/2 deadlock of "Eat What You Kill without
// Starvation" cannot happen: frames are read by the connection's own
// goroutine, never by one the executor must supply).
func TestH2FlowControlWaitDoesNotStarve(t *testing.T) {
	for _, m := range []modes.Mode{modes.H2C, modes.H2} {
		t.Run(string(m), func(t *testing.T) { testH2FlowControlWaitDoesNotStarve(t, m) })
	}
}

func testH2FlowControlWaitDoesNotStarve(t *testing.T, m modes.Mode) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, MinWorkers: -1})
	defer ex.Close(context.Background())
	c := container.New(append(modes.Options(m), container.WithExecutor(ex), container.WithLogger(wharftest.DiscardLogger()))...)
	big := strings.Repeat("x", 100<<10)
	started := make(chan struct{})
	c.HandleFunc("/big", func(w api.Response, r *api.Request) error {
		close(started)
		_, err := w.WriteString(big)
		return err
	})
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	cl := dialMode(t, modes.Start(t, m, c), xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 0})
	cl.get(t, 1, "/big", true)
	select {
	case <-started: // the one worker is /big's
	case <-time.After(wharftest.Patience):
		t.Fatal("/big never ran")
	}
	cl.get(t, 3, "/hello", true)
	ping := [8]byte{1, 2, 3}
	if err := cl.fr.WritePing(false, ping); err != nil {
		t.Fatal(err)
	}
	// The PING is answered while /big waits for a window on the only worker.
	dec := hpack.NewDecoder(4096, nil)
	for {
		f, err := cl.fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := f.(*xhttp2.PingFrame); ok && p.IsAck() && p.Data == ping {
			break
		}
		if h, ok := f.(*xhttp2.HeadersFrame); ok {
			dec.DecodeFull(h.HeaderBlockFragment())
		}
		if d, ok := f.(*xhttp2.DataFrame); ok && len(d.Data()) > 0 {
			t.Fatalf("DATA on stream %d with a zero window", d.StreamID)
		}
	}
	if busy := ex.Stats().Busy; busy != 1 {
		t.Fatalf("executor busy = %d, want the one worker held by /big", busy)
	}
	// Open the windows: both complete, /big first (it holds the worker).
	for _, id := range []uint32{0, 1, 3} {
		if err := cl.fr.WriteWindowUpdate(id, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	got := map[uint32]*strings.Builder{1: {}, 3: {}}
	for done := 0; done < 2; {
		f, err := cl.fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		switch f := f.(type) {
		case *xhttp2.HeadersFrame:
			dec.DecodeFull(f.HeaderBlockFragment())
			if f.StreamEnded() {
				done++
			}
		case *xhttp2.DataFrame:
			got[f.StreamID].Write(f.Data())
			if f.StreamEnded() {
				done++
			}
		case *xhttp2.RSTStreamFrame:
			t.Fatalf("stream %d reset: %v", f.StreamID, f.ErrCode)
		}
	}
	if got[1].String() != big || got[3].String() != "hello" {
		t.Fatalf("bodies: %d bytes and %q", got[1].Len(), got[3].String())
	}
}

// A large response to a client that reads it, with one executor worker,
// taken by the handler: the writer, which waits for the socket, is woken
// where the socket drains, never by a task queued behind that handler
// (which waits for the writer), over TLS as in cleartext.
func TestH2LargeResponseWithOneWorker(t *testing.T) {
	for _, m := range []modes.Mode{modes.H2C, modes.H2} {
		t.Run(string(m), func(t *testing.T) {
			ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, MinWorkers: -1})
			defer ex.Close(context.Background())
			c := container.New(append(modes.Options(m), container.WithExecutor(ex),
				container.WithConnector(connector.Config{WriteTimeout: 5 * time.Second}),
				container.WithLogger(wharftest.DiscardLogger()))...)
			mib := strings.Repeat("x", 1<<20)
			c.HandleFunc("/big", func(w api.Response, r *api.Request) error {
				for range 16 {
					if _, err := w.WriteString(mib); err != nil {
						return err
					}
				}
				return nil
			})
			s := modes.Start(t, m, c)
			resp, err := s.Client.Get(s.URL + "/big")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			one := make([]byte, 1)
			if _, err := io.ReadFull(resp.Body, one); err != nil {
				t.Fatal(err)
			}
			// The client pauses: the response backs up, the writer waits
			// for the socket to drain and the handler for the writer.
			time.Sleep(500 * time.Millisecond)
			n, err := io.Copy(io.Discard, resp.Body)
			if n++; err != nil || n != 16<<20 {
				t.Fatalf("read %d of %d bytes: %v", n, 16<<20, err)
			}
		})
	}
}

// parking serves requests by suspending each for a minute, keeping its
// continuation for the test to resume, and answering "resumed" then.
type parking struct {
	mu      sync.Mutex
	waiting []continuation.Continuation
}

func (p *parking) serve(w api.Response, r *api.Request) error {
	cont := continuation.Of(r)
	if cont.IsInitial() {
		cont.SetTimeout(time.Minute)
		return cont.SuspendThen(func(cont continuation.Continuation) {
			p.mu.Lock()
			p.waiting = append(p.waiting, cont)
			p.mu.Unlock()
		})
	}
	_, err := w.WriteString("resumed")
	return err
}

// count is how many requests are suspended.
func (p *parking) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiting)
}

// resumeAll resumes every suspended request.
func (p *parking) resumeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cont := range p.waiting {
		cont.Resume()
	}
	p.waiting = nil
}

// Suspended HTTP/2 requests hold no goroutine: 200 streams suspended on
// one connection cost the server none beyond the connection's reader.
func TestH2SuspendedStreamsHoldNoGoroutine(t *testing.T) {
	const n = 200
	var p parking
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/wait", p.serve)
	addr := listen(t, c)
	cl := dialH2C(t, addr)
	// Warm up so that the executor's idle goroutines are counted in base.
	cl.get(t, 1, "/hello-not-mapped", true)
	cl.readResponses(t, 1)
	base := runtime.NumGoroutine()
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = uint32(3 + 2*i)
		cl.get(t, ids[i], "/wait", true)
	}
	wharftest.WaitFor(t, "the requests to suspend", func() bool { return p.count() == n })
	wharftest.WaitFor(t, "the dispatches to return", func() bool {
		ex := c.Stats().Executor
		return ex.Busy == 0
	})
	ex := c.Stats().Executor
	if extra := runtime.NumGoroutine() - base - (ex.Workers - ex.Busy); extra > 5 {
		t.Fatalf("%d goroutines more with %d suspended streams", extra, n)
	}
	p.resumeAll()
	for id, r := range cl.readResponses(t, ids...) {
		if r.status != "200" || r.body.String() != "resumed" {
			t.Fatalf("stream %d: %s %q (reset %v)", id, r.status, r.body.String(), r.rst)
		}
	}
}

// On the epoll connector an HTTP/2 connection holds no goroutine while
// it waits for its client, over TLS and in cleartext: its reader runs
// only while frames come. Connections idle after a request, and
// connections whose one request is suspended, cost none; each still
// answers when its client speaks again, and its resumed request.
func TestH2IdleConnectionsHoldNoGoroutine(t *testing.T) {
	const n = 150
	for _, m := range []modes.Mode{modes.H2C, modes.H2} {
		t.Run(string(m), func(t *testing.T) {
			var p parking
			c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
			c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
				_, err := w.WriteString("hello")
				return err
			})
			c.HandleFunc("/wait", p.serve)
			s := modes.Start(t, m, c)
			dial := func() *h2Client { return dialMode(t, s) }
			hello := func(cl *h2Client, id uint32) {
				t.Helper()
				cl.get(t, id, "/hello", true)
				if r := cl.readResponses(t, id)[id]; r.status != "200" || r.body.String() != "hello" {
					t.Fatalf("stream %d: %s %q", id, r.status, r.body.String())
				}
			}
			hello(dial(), 1) // the executor's goroutines, counted in base
			wharftest.WaitFor(t, "the warm-up to finish", func() bool { return c.Stats().Executor.Busy == 0 })
			held := func() int {
				ex := c.Stats().Executor
				return runtime.NumGoroutine() - (ex.Workers - ex.Busy)
			}
			base := held()
			idle := make([]*h2Client, n)
			for i := range idle {
				idle[i] = dial()
				hello(idle[i], 1)
			}
			suspended := make([]*h2Client, n)
			for i := range suspended {
				suspended[i] = dial()
				suspended[i].get(t, 1, "/wait", true)
			}
			wharftest.WaitFor(t, "the requests to suspend", func() bool { return p.count() == n })
			var extra int
			wharftest.WaitFor(t, "the readers to let go of their goroutines", func() bool {
				extra = held() - base
				return extra <= 10
			})
			t.Logf("%d connections: %d goroutines more than before them", 2*n, extra)
			for _, cl := range idle {
				hello(cl, 3)
			}
			p.resumeAll()
			for i, cl := range suspended {
				if r := cl.readResponses(t, 1)[1]; r.status != "200" || r.body.String() != "resumed" {
					t.Fatalf("connection %d: %s %q", i, r.status, r.body.String())
				}
			}
		})
	}
}

// A client that resets a suspended stream fails it at once, instead of it
// waiting for its timeout.
func TestH2ResetSuspendedStream(t *testing.T) {
	errs := make(chan error, 1)
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		cont.SetTimeout(time.Minute)
		cont.AddListener(continuation.Listener{OnComplete: func(r *api.Request, err error) { errs <- err }})
		return cont.Suspend()
	})
	addr := listen(t, c)
	cl := dialH2C(t, addr)
	cl.get(t, 1, "/wait", true)
	// Suspended, not Active: a stream is active from its admission, before
	// its handler runs, and a reset then ends it without the handler (and
	// its listener).
	wharftest.WaitFor(t, "the request to suspend", func() bool { return c.Stats().Suspended == 1 })
	if err := cl.fr.WriteRSTStream(1, xhttp2.ErrCodeCancel); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if err != connector.ErrClientGone {
			t.Fatalf("completed with %v, want ErrClientGone", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reset stream was not failed")
	}
	wharftest.WaitFor(t, "the request to end", func() bool { return c.Stats().Active == 0 })
}

// Limits answer on the stream, and the connection goes on: a header list
// over MaxHeaderBytes gets 431, a declared body over MaxBodyBytes 413, a
// body that grows past it fails the handler's read (413).
func TestH2Limits(t *testing.T) {
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()),
		container.WithConnector(connector.Config{MaxHeaderBytes: 1024, MaxBodyBytes: 10}))
	c.HandleFunc("/echo", func(w api.Response, r *api.Request) error {
		b, err := io.ReadAll(r.Body())
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	addr := listen(t, c)
	cl := dialH2C(t, addr)
	var many []hpack.HeaderField
	for i := range 10 {
		many = append(many, hpack.HeaderField{Name: fmt.Sprintf("x-big-%d", i), Value: strings.Repeat("b", 600)})
	}
	cl.get(t, 1, "/echo", true, many...)
	post := func(id uint32, extra ...hpack.HeaderField) {
		cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: cl.headerBlockMethod("POST", "/echo", extra...), EndHeaders: true})
	}
	post(3, hpack.HeaderField{Name: "content-length", Value: "100"})
	post(5)
	cl.fr.WriteData(5, true, []byte(strings.Repeat("d", 100)))
	post(7)
	cl.fr.WriteData(7, true, []byte("small"))
	rs := cl.readResponses(t, 1, 3, 5, 7)
	for id, want := range map[uint32]string{1: "431", 3: "413", 5: "413", 7: "200"} {
		if rs[id].status != want {
			t.Errorf("stream %d: status %q, want %s", id, rs[id].status, want)
		}
	}
	if got := rs[7].body.String(); got != "small" {
		t.Errorf("echo: %q", got)
	}
}

// Request trailers reach the handler after the body; response trailers
// follow the body on the wire.
func TestH2Trailers(t *testing.T) {
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/trail", func(w api.Response, r *api.Request) error {
		b, err := io.ReadAll(r.Body())
		if err != nil {
			return err
		}
		w.Header().Set("Trailer", "X-Sum")
		w.Write(b)
		w.Trailer().Set("X-Sum", r.Trailer().Get("X-Checksum")+"!")
		return nil
	})
	addr := listen(t, c)
	cl := dialH2C(t, addr)
	cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: cl.headerBlockMethod("POST", "/trail"), EndHeaders: true})
	cl.fr.WriteData(1, false, []byte("body"))
	cl.buf.Reset()
	cl.enc.WriteField(hpack.HeaderField{Name: "x-checksum", Value: "42"})
	cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: cl.buf.Bytes(), EndStream: true, EndHeaders: true})
	r := cl.readResponses(t, 1)[1]
	if r.status != "200" || r.body.String() != "body" || r.trailer["x-sum"] != "42!" {
		t.Fatalf("got %s %q trailers %v", r.status, r.body.String(), r.trailer)
	}
}

// "Upgrade: h2c" on a cleartext port switches the connection to HTTP/2
// after 101, and the request is answered as stream 1. A request with a
// body that asks the same is served over HTTP/1.1.
func TestH2CUpgrade(t *testing.T) {
	for _, portable := range []bool{false, true} {
		name := "epoll"
		if portable {
			name = "portable"
		}
		t.Run(name, func(t *testing.T) {
			opts := []container.Option{container.WithH2C(), container.WithLogger(wharftest.DiscardLogger())}
			if portable {
				opts = append(opts, container.WithPortableConnector())
			}
			c := container.New(opts...)
			c.HandleFunc("/proto", func(w api.Response, r *api.Request) error {
				_, err := w.WriteString(r.Proto())
				return err
			})
			addr := listen(t, c)
			const ask = "Host: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"

			// With a body: HTTP/1.1.
			resps, bodies, _ := roundTrip(t, addr, "POST /proto HTTP/1.1\r\n"+ask+"Content-Length: 2\r\n\r\nhi", 1)
			if len(resps) != 1 || resps[0].StatusCode != 200 {
				t.Fatalf("POST with upgrade: %v", resps)
			}
			if b := bodies[0]; b != "HTTP/1.1" {
				t.Fatalf("POST with upgrade served as %q", b)
			}

			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(nc, "GET /proto HTTP/1.1\r\n"+ask+"\r\n")
			br := bufio.NewReader(nc)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "h2c" {
				t.Fatalf("got %s, Upgrade %q", resp.Status, resp.Header.Get("Upgrade"))
			}
			io.WriteString(nc, xhttp2.ClientPreface)
			cl := &h2Client{nc: nc, fr: xhttp2.NewFramer(nc, br)}
			cl.fr.WriteSettings()
			r := cl.readResponses(t, 1)[1]
			if r.status != "200" || r.body.String() != "HTTP/2.0" {
				t.Fatalf("stream 1: %s %q", r.status, r.body.String())
			}
			// The connection goes on as HTTP/2.
			cl.enc = hpack.NewEncoder(&cl.buf)
			cl.get(t, 3, "/proto", true)
			if r := cl.readResponses(t, 3)[3]; r.body.String() != "HTTP/2.0" {
				t.Fatalf("stream 3: %s %q", r.status, r.body.String())
			}
		})
	}
}

// Shutdown sends GOAWAY naming the last stream it will serve, finishes
// that stream, and then closes the connection.
func TestH2ShutdownFinishesStreams(t *testing.T) {
	// The handler answers once the client has the GOAWAY: one that
	// answered by itself could beat a late Shutdown to the client.
	release := make(chan struct{})
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/gated", func(w api.Response, r *api.Request) error {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return nil
	})
	addr := listen(t, c)
	cl := dialH2C(t, addr)
	cl.get(t, 1, "/gated", true)
	wharftest.WaitFor(t, "the request to start", func() bool { return c.Stats().Active == 1 })
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- c.Shutdown(ctx)
	}()
	var goaway *xhttp2.GoAwayFrame
	ended := false
	for !ended {
		f, err := cl.fr.ReadFrame()
		if err != nil {
			t.Fatalf("connection ended before stream 1: %v", err)
		}
		switch f := f.(type) {
		case *xhttp2.GoAwayFrame:
			if goaway == nil {
				close(release)
			}
			goaway = f
		case *xhttp2.HeadersFrame:
			ended = f.StreamEnded()
		case *xhttp2.DataFrame:
			ended = f.StreamEnded()
		case *xhttp2.RSTStreamFrame:
			t.Fatalf("stream reset: %v", f.ErrCode)
		}
	}
	if goaway == nil || goaway.LastStreamID != 1 || goaway.ErrCode != xhttp2.ErrCodeNo {
		t.Fatalf("GOAWAY before the response: %+v", goaway)
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := cl.closedByServer(); err != nil {
		t.Fatal(err)
	}
}

// A stream the client resets before its handler even started (the one
// executor worker is busy) is failed as soon as it starts, not left
// suspended until its timeout.
func TestH2ResetBeforeDispatch(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, MinWorkers: -1})
	defer ex.Close(context.Background())
	c := container.New(container.WithH2C(), container.WithExecutor(ex), container.WithLogger(wharftest.DiscardLogger()))
	busy, free := make(chan struct{}), make(chan struct{})
	c.HandleFunc("/busy", func(w api.Response, r *api.Request) error {
		close(busy)
		<-free
		return nil
	})
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		cont.SetTimeout(time.Minute)
		return cont.Suspend()
	})
	addr := listen(t, c)
	cl := dialH2C(t, addr)
	cl.get(t, 1, "/busy", true)
	<-busy
	cl.get(t, 3, "/wait", true)
	if err := cl.fr.WriteRSTStream(3, xhttp2.ErrCodeCancel); err != nil {
		t.Fatal(err)
	}
	// Let the reset arrive before the worker is free for stream 3.
	cl.fr.WritePing(false, [8]byte{9})
	for {
		f, err := cl.fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := f.(*xhttp2.PingFrame); ok && p.IsAck() {
			break
		}
	}
	close(free)
	wharftest.WaitFor(t, "the reset request to end", func() bool { return c.Stats().Active == 0 })
}

// Frames the client sent before it heard of a reset are ignored: DATA and
// trailers after the server asked it to stop sending its body, and DATA
// after a malformed HEADERS. The connection goes on.
func TestH2LateFramesAfterReset(t *testing.T) {
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()),
		container.WithConnector(connector.Config{MaxDiscardBytes: 10}))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	addr := listen(t, c)
	cl := dialH2C(t, addr)
	// Answered before its body; the body goes past MaxDiscardBytes.
	cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: cl.headerBlockMethod("POST", "/hello"), EndHeaders: true})
	if r := cl.readResponses(t, 1)[1]; r.status != "200" || r.body.String() != "hello" {
		t.Fatalf("stream 1: %s %q", r.status, r.body.String())
	}
	cl.fr.WriteData(1, false, []byte(strings.Repeat("d", 100)))
	cl.expectReset(t, 1, xhttp2.ErrCodeNo)
	cl.fr.WriteData(1, false, []byte("late"))
	cl.buf.Reset()
	cl.enc.WriteField(hpack.HeaderField{Name: "x-late", Value: "trailer"})
	cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: bytes.Clone(cl.buf.Bytes()), EndStream: true, EndHeaders: true})
	// A malformed HEADERS (an upper-case name) and DATA after it.
	cl.get(t, 3, "/hello", false, hpack.HeaderField{Name: "X-Upper", Value: "1"})
	cl.fr.WriteData(3, true, []byte("x"))
	cl.get(t, 5, "/hello", true)
	rs := cl.readResponses(t, 3, 5)
	if !rs[3].reset || rs[3].rst != xhttp2.ErrCodeProtocol {
		t.Errorf("stream 3: reset %v %v, want PROTOCOL_ERROR", rs[3].reset, rs[3].rst)
	}
	if rs[5].body.String() != "hello" {
		t.Errorf("stream 5: %s %q", rs[5].status, rs[5].body.String())
	}
}

// A response shorter than its declared Content-Length is reset, not ended
// as if it were complete.
func TestH2ShortBodyIsReset(t *testing.T) {
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/short", func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Length", "10")
		w.WriteString("12345")
		return w.Flush()
	})
	addr := listen(t, c)
	cl := dialH2C(t, addr)
	cl.get(t, 1, "/short", true)
	r := cl.readResponses(t, 1)[1]
	if !r.reset || r.complete {
		t.Fatalf("got %s %q complete=%v reset=%v (%v)", r.status, r.body.String(), r.complete, r.reset, r.rst)
	}
}

// HTTP/2 requests are held to HTTP/1.1's rules for what they share: a
// malformed method, target or authority, or a Host that disagrees with
// :authority, resets the stream; trailers that may not be trailers are
// dropped; the Host is among the header fields; response field values
// lose CR and LF.
func TestH2RequestRules(t *testing.T) {
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		io.ReadAll(r.Body())
		w.Header().Set("X-Split", "a\r\nInjected: b")
		_, err := fmt.Fprintf(w, "host=%s header=%s auth-trailer=%q sum=%s", r.Host(), r.Header().Get("Host"),
			r.Trailer().Get("Authorization"), r.Trailer().Get("X-Sum"))
		return err
	})
	addr := listen(t, c)
	cl := dialH2C(t, addr)
	block := func(fields ...string) []byte {
		cl.buf.Reset()
		for i := 0; i < len(fields); i += 2 {
			cl.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return bytes.Clone(cl.buf.Bytes())
	}
	bad := []struct {
		name   string
		fields []string
	}{
		{"method not a token", []string{":method", "G E(T", ":scheme", "http", ":authority", "x", ":path", "/"}},
		{"space in the path", []string{":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/a b"}},
		{"fragment in the path", []string{":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/a#f"}},
		{"bad authority", []string{":method", "GET", ":scheme", "http", ":authority", "evil.example/@x y", ":path", "/"}},
		{"host differs from :authority", []string{":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/", "host", "y"}},
		{"two hosts", []string{":method", "GET", ":scheme", "http", ":path", "/", "host", "x", "host", "x"}},
	}
	var ids []uint32
	for i, tc := range bad {
		id := uint32(1 + 2*i)
		ids = append(ids, id)
		cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: block(tc.fields...), EndStream: true, EndHeaders: true})
	}
	good := uint32(1 + 2*len(bad))
	cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: good, BlockFragment: block(":method", "POST", ":scheme", "http", ":authority", "x:80", ":path", "/"), EndHeaders: true})
	cl.fr.WriteData(good, false, []byte("body"))
	cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: good, BlockFragment: block("authorization", "secret", "x-sum", "7"), EndStream: true, EndHeaders: true})
	rs := cl.readResponses(t, append(ids, good)...)
	for i, tc := range bad {
		if r := rs[ids[i]]; !r.reset || r.rst != xhttp2.ErrCodeProtocol {
			t.Errorf("%s: %s %q, reset %v %v; want PROTOCOL_ERROR", tc.name, r.status, r.body.String(), r.reset, r.rst)
		}
	}
	r := rs[good]
	if want := `host=x:80 header=x:80 auth-trailer="" sum=7`; r.body.String() != want {
		t.Errorf("good request: %q, want %q", r.body.String(), want)
	}
	if v := r.header["x-split"]; v != "a  Injected: b" {
		t.Errorf("x-split sent as %q", v)
	}
}

// A Host field that names the same entity as :authority is no reason to
// reset the stream: RFC 9113 §8.3.1 compares the two once normalized (RFC
// 3986 §6.2), so a host name in another case, or with the scheme's
// default port, agrees. The request's Host, and its Host field, are
// :authority's.
func TestH2HostAgreesWithAuthorityNormalized(t *testing.T) {
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "host=%s header=%s", r.Host(), r.Header().Get("Host"))
		return err
	})
	cl := dialH2C(t, listen(t, c))
	block := func(fields ...string) []byte {
		cl.buf.Reset()
		for i := 0; i < len(fields); i += 2 {
			cl.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return bytes.Clone(cl.buf.Bytes())
	}
	for i, tc := range []struct{ scheme, authority, host string }{
		{"http", "example.com", "Example.COM"},
		{"http", "example.com", "example.com:80"},
		{"https", "example.com:443", "EXAMPLE.com"},
		{"http", "[::1]", "[::1]:80"},
	} {
		id := uint32(1 + 2*i)
		cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, EndStream: true, EndHeaders: true,
			BlockFragment: block(":method", "GET", ":scheme", tc.scheme, ":authority", tc.authority, ":path", "/", "host", tc.host)})
		r := cl.readResponses(t, id)[id]
		want := "host=" + tc.authority + " header=" + tc.authority
		if r.reset || r.body.String() != want {
			t.Errorf(":authority %q, host %q: %s %q reset %v %v; want %q", tc.authority, tc.host, r.status, r.body.String(), r.reset, r.rst, want)
		}
	}
	// Another host, or another port, still disagrees.
	for i, host := range []string{"example.org", "example.com:8080"} {
		id := uint32(21 + 2*i)
		cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, EndStream: true, EndHeaders: true,
			BlockFragment: block(":method", "GET", ":scheme", "http", ":authority", "example.com", ":path", "/", "host", host)})
		if r := cl.readResponses(t, id)[id]; !r.reset || r.rst != xhttp2.ErrCodeProtocol {
			t.Errorf("host %q: %s %q reset %v %v; want PROTOCOL_ERROR", host, r.status, r.body.String(), r.reset, r.rst)
		}
	}
}
