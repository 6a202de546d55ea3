package http2

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/dispatcher"
)

// Every state and event of the HTTP/2 stream state machine.
func TestH2Transitions(t *testing.T) {
	type move struct {
		to h2State
		ok bool
	}
	want := map[h2State]map[h2Event]move{
		h2Open: {
			h2RecvEnd: {h2HalfClosedRemote, true}, h2SendEnd: {h2HalfClosedLocal, true},
			h2RecvRst: {h2Closed, true}, h2SendRst: {h2Closed, true},
		},
		h2HalfClosedRemote: {
			h2RecvEnd: {h2HalfClosedRemote, false}, h2SendEnd: {h2Closed, true},
			h2RecvRst: {h2Closed, true}, h2SendRst: {h2Closed, true},
		},
		h2HalfClosedLocal: {
			h2RecvEnd: {h2Closed, true}, h2SendEnd: {h2HalfClosedLocal, false},
			h2RecvRst: {h2Closed, true}, h2SendRst: {h2Closed, true},
		},
		h2Closed: {
			h2RecvEnd: {h2Closed, false}, h2SendEnd: {h2Closed, false},
			h2RecvRst: {h2Closed, false}, h2SendRst: {h2Closed, false},
		},
	}
	for from := h2Open; from <= h2Closed; from++ {
		for ev := h2RecvEnd; ev < h2NumEvents; ev++ {
			to, ok := h2Transition(from, ev)
			if w := want[from][ev]; to != w.to || ok != w.ok {
				t.Errorf("%v on %v: got %v, %v; want %v, %v", ev, from, to, ok, w.to, w.ok)
			}
		}
	}
}

// streamFunc serves streams with a function.
type streamFunc func(connector.Stream)

func (f streamFunc) ServeStream(s connector.Stream) { f(s) }

// pipeBooks are the books of a connection served without a connector:
// always tracked, closed by closing the socket.
type pipeBooks struct{ nc net.Conn }

func (b pipeBooks) Track(func()) bool { return true }
func (b pipeBooks) Close()            { b.nc.Close() }

// h2Pipe runs one h2c connection of a server with h over an in-memory
// pipe, so that tests can run under testing/synctest. It returns the
// client's side, with the preface and an empty SETTINGS sent and a reader
// goroutine delivering every frame on frames (closed at EOF).
type h2Pipe struct {
	hc     *serverConn
	nc     net.Conn
	fr     *xhttp2.Framer
	enc    *hpack.Encoder
	buf    bytes.Buffer
	frames chan xhttp2.Frame
	// readErr is why the reader stopped; set before frames is closed.
	readErr error
	done    chan struct{} // closed when the server's side ended
}

func startH2Pipe(t *testing.T, cfg connector.Config, h connector.Handler, settings ...xhttp2.Setting) *h2Pipe {
	t.Helper()
	p := &h2Pipe{frames: make(chan xhttp2.Frame, 64), done: make(chan struct{})}
	cli, sc := net.Pipe()
	ex := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{})
	p.hc = newServerConn(&Server{}, &connector.Handover{
		Conn: sc, Reader: sc,
		Info:   &api.ConnInfo{RemoteAddr: sc.RemoteAddr().String(), LocalAddr: sc.LocalAddr().String()},
		Limits: cfg.Limits(), Logger: slog.Default(), Handler: h,
		Execute: func(t dispatcher.Task) {
			if err := ex.Execute(t); err != nil {
				go t.Run()
			}
		},
		Books: pipeBooks{sc},
	})
	go func() {
		defer close(p.done)
		p.hc.serve()
	}()
	p.open(cli, settings...)
	t.Cleanup(func() {
		cli.Close()
		<-p.done
		ex.Close(context.Background())
	})
	return p
}

// open starts the client's side on cli: its framer, the goroutine that
// delivers the server's frames on frames, the preface and a SETTINGS
// frame of settings.
func (p *h2Pipe) open(cli net.Conn, settings ...xhttp2.Setting) {
	p.nc = cli
	p.fr = xhttp2.NewFramer(cli, cli)
	p.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	p.enc = hpack.NewEncoder(&p.buf)
	go func() {
		defer close(p.frames)
		for {
			f, err := p.fr.ReadFrame()
			if err != nil {
				p.readErr = err
				return
			}
			p.frames <- copyFrame(f)
		}
	}()
	io.WriteString(cli, xhttp2.ClientPreface)
	p.fr.WriteSettings(settings...)
}

// copyFrame keeps what the tests look at of a frame the framer may reuse.
func copyFrame(f xhttp2.Frame) xhttp2.Frame {
	if d, ok := f.(*xhttp2.DataFrame); ok {
		return &dataCopy{StreamID: d.StreamID, data: bytes.Clone(d.Data()), end: d.StreamEnded()}
	}
	return f
}

type dataCopy struct {
	xhttp2.FrameHeader
	StreamID uint32
	data     []byte
	end      bool
}

// next returns the next frame that match accepts, skipping others, or nil
// at EOF.
func (p *h2Pipe) next(match func(xhttp2.Frame) bool) xhttp2.Frame {
	for f := range p.frames {
		if match(f) {
			return f
		}
	}
	return nil
}

func (p *h2Pipe) get(id uint32, path string) {
	p.buf.Reset()
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: "x"}, {Name: ":path", Value: path},
	} {
		p.enc.WriteField(f)
	}
	p.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: p.buf.Bytes(), EndStream: true, EndHeaders: true})
}

func isGoAway(f xhttp2.Frame) bool { _, ok := f.(*xhttp2.GoAwayFrame); return ok }

// A connection with no stream for IdleTimeout is closed with GOAWAY
// (NO_ERROR); one with a stream open is not.
func TestH2IdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		h := streamFunc(func(s connector.Stream) {
			<-release
			s.WriteHead(200, "", http.Header{}, 0, nil)
			s.Finish(nil)
		})
		p := startH2Pipe(t, connector.Config{IdleTimeout: 5 * time.Second}, h)
		start := time.Now()
		p.get(1, "/")
		time.Sleep(20 * time.Second) // a stream is open: no idle timeout
		synctest.Wait()
		select {
		case <-p.done:
			t.Fatal("the connection closed with a stream open")
		default:
		}
		close(release)
		f := p.next(isGoAway)
		if f == nil {
			t.Fatal("no GOAWAY")
		}
		if g := f.(*xhttp2.GoAwayFrame); g.ErrCode != xhttp2.ErrCodeNo || g.LastStreamID != 1 {
			t.Fatalf("GOAWAY %v last %d", g.ErrCode, g.LastStreamID)
		}
		if d := time.Since(start); d != 25*time.Second {
			t.Fatalf("closed after %v, want 20 s with a stream and then the 5 s idle timeout", d)
		}
		<-p.done
	})
}

// A response that waits longer than WriteTimeout for a flow-control window
// fails with errH2WriteWait and is reset; the connection goes on.
func TestH2WriteWaitTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var finishErr error
		var took time.Duration
		h := streamFunc(func(s connector.Stream) {
			start := time.Now()
			s.WriteHead(200, "", http.Header{}, -1, nil)
			s.WriteBody([]byte("body"))
			err := s.Finish(nil)
			mu.Lock()
			finishErr, took = err, time.Since(start)
			mu.Unlock()
		})
		p := startH2Pipe(t, connector.Config{WriteTimeout: 3 * time.Second}, h, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 0})
		p.get(1, "/")
		f := p.next(func(f xhttp2.Frame) bool { _, ok := f.(*xhttp2.RSTStreamFrame); return ok })
		if f == nil || f.(*xhttp2.RSTStreamFrame).StreamID != 1 {
			t.Fatalf("got %v, want RST_STREAM on stream 1", f)
		}
		synctest.Wait()
		mu.Lock()
		if !errors.Is(finishErr, errH2WriteWait) || took != 3*time.Second {
			t.Errorf("Finish: %v after %v; want errH2WriteWait after 3s", finishErr, took)
		}
		mu.Unlock()
		// The connection still answers.
		p.fr.WritePing(false, [8]byte{7})
		if f := p.next(func(f xhttp2.Frame) bool { pf, ok := f.(*xhttp2.PingFrame); return ok && pf.IsAck() }); f == nil {
			t.Fatal("no PING answer after the reset")
		}
	})
}

// Frames are handled on the connection's reader alone: handling one on
// another goroutine panics in tests at once.
func TestH2ReaderOwnership(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	hc := newServerConn(&Server{}, &connector.Handover{Conn: a})
	owned, done := make(chan struct{}), make(chan struct{})
	go func() {
		hc.readG.Acquire()
		close(owned)
		<-done
		hc.readG.Release()
	}()
	<-owned
	defer close(done)
	defer func() {
		if recover() == nil {
			t.Fatal("a frame handled off the reader goroutine did not panic")
		}
	}()
	hc.onFrame(&xhttp2.PingFrame{})
}

// An error the server answers itself (414 for a path over MaxURILength)
// waits for its flow-control window on the executor, never on the reader:
// with a zero window, a PING sent after it is answered at once.
func TestH2ErrorAnswerDoesNotBlockReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := streamFunc(func(s connector.Stream) { t.Error("the handler ran for a path over MaxURILength") })
		p := startH2Pipe(t, connector.Config{MaxURILength: 10}, h, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 0})
		p.get(1, "/0123456789")
		p.fr.WritePing(false, [8]byte{4})
		synctest.Wait() // no time passes: only what needs no window can happen
		for {
			select {
			case f := <-p.frames:
				if pf, ok := f.(*xhttp2.PingFrame); ok && pf.IsAck() {
					return
				}
				continue
			default:
			}
			t.Fatal("the PING was not answered while a 400 waited for its window")
		}
	})
}

// A stream answered before the client finished its body no longer holds
// the connection: with the client silent, the idle timeout closes it.
func TestH2DrainingStreamDoesNotHoldConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := streamFunc(func(s connector.Stream) {
			s.WriteHead(200, "", http.Header{}, 2, nil)
			s.WriteBody([]byte("ok"))
			s.Finish(nil)
		})
		p := startH2Pipe(t, connector.Config{IdleTimeout: 5 * time.Second}, h)
		start := time.Now()
		p.buf.Reset()
		for _, f := range []hpack.HeaderField{
			{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
			{Name: ":authority", Value: "x"}, {Name: ":path", Value: "/"},
		} {
			p.enc.WriteField(f)
		}
		p.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: p.buf.Bytes(), EndHeaders: true})
		if p.next(isGoAway) == nil {
			t.Fatal("no GOAWAY")
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Fatalf("closed after %v, want the 5 s idle timeout", d)
		}
	})
}

// A client that opens the connection's window a byte at a time, without
// reading, cannot make the server queue a frame per byte without bound.
func TestH2WindowDribbleBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), 1<<20)
		h := streamFunc(func(s connector.Stream) {
			s.WriteHead(200, "", http.Header{}, int64(len(big)), nil)
			s.WriteBody(big)
			s.Finish(nil)
		})
		p := startH2Pipe(t, connector.Config{}, h, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 1 << 30})
		p.get(1, "/")
		synctest.Wait() // the connection's 64 KiB window is spent; the client reads no more than frames holds
		for range 2 * h2MaxFrames {
			p.fr.WriteWindowUpdate(0, 1)
			synctest.Wait() // the handler takes each byte before the next
		}
		synctest.Wait()
		hc := p.hc
		hc.mu.Lock()
		queued := len(hc.frames)
		hc.mu.Unlock()
		if queued > h2MaxFrames {
			t.Fatalf("%d frames queued, want at most %d", queued, h2MaxFrames)
		}
		if queued < h2MaxFrames/2 {
			t.Fatalf("only %d frames queued: the test no longer dribbles", queued)
		}
		go func() {
			for range p.frames {
			}
		}()
		p.nc.Close()
	})
}

// A client that floods the connection with PINGs and only then reads gets
// the GOAWAY behind the answers it provoked, however long reading them
// takes, as long as each of the server's writes moves within
// h2GoAwayTimeout: the GOAWAY does not have to be out within one second
// of the flood's end.
func TestH2GoAwayWaitsForAReadingClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startH2Pipe(t, connector.Config{}, streamFunc(func(connector.Stream) {}))
		flooded := make(chan struct{})
		go func() {
			defer close(flooded)
			for p.fr.WritePing(false, [8]byte{}) == nil {
			}
		}()
		synctest.Wait() // the answers filled the pipe, the server stopped reading
		start := time.Now()
		var goAway *xhttp2.GoAwayFrame
		n := 0
		for f := range p.frames {
			if g, ok := f.(*xhttp2.GoAwayFrame); ok {
				goAway = g
			}
			n++
			time.Sleep(500 * time.Microsecond) // about 34 KB a second
		}
		if goAway == nil || goAway.ErrCode != xhttp2.ErrCodeEnhanceYourCalm {
			t.Fatalf("after %d frames in %v: GOAWAY %+v, want ENHANCE_YOUR_CALM", n, time.Since(start), goAway)
		}
		if d := time.Since(start); d < 2*h2GoAwayTimeout {
			t.Fatalf("read in %v: the test no longer reads slowly", d)
		}
		<-flooded
	})
}

// A header block that does not complete within ReadHeaderTimeout of its
// HEADERS frame's first bytes ends the connection with GOAWAY
// ENHANCE_YOUR_CALM, whether or not other streams are open (which clear the
// idle deadline); one that completes in time is served.
func TestH2HeadTimeout(t *testing.T) {
	const timeout = 5 * time.Second
	for _, tc := range []struct {
		name   string
		busy   bool // stream 1's handler runs throughout
		send   func(p *h2Pipe, block []byte)
		served bool // the block completes in time: stream 3 is answered
	}{
		{name: "CONTINUATION never comes", send: func(p *h2Pipe, block []byte) {
			p.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 3, BlockFragment: block[:2], EndStream: true})
		}},
		{name: "CONTINUATION never comes, a stream open", busy: true, send: func(p *h2Pipe, block []byte) {
			p.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 3, BlockFragment: block[:2], EndStream: true})
		}},
		{name: "HEADERS payload stalls, a stream open", busy: true, send: func(p *h2Pipe, block []byte) {
			// The frame header of a 100-byte HEADERS (END_STREAM and
			// END_HEADERS) for stream 3, and only 10 bytes of it.
			p.nc.Write([]byte{0, 0, 100, byte(xhttp2.FrameHeaders), 0x5, 0, 0, 0, 3})
			p.nc.Write([]byte("0123456789"))
		}},
		{name: "CONTINUATION in time", busy: true, served: true, send: func(p *h2Pipe, block []byte) {
			p.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 3, BlockFragment: block[:2], EndStream: true})
			time.Sleep(timeout - time.Second)
			p.fr.WriteContinuation(3, true, block[2:])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				defer close(release)
				h := streamFunc(func(s connector.Stream) {
					if s.Request().Path == "/busy" {
						<-release
					}
					s.WriteHead(200, "", http.Header{}, 0, nil)
					s.Finish(nil)
				})
				p := startH2Pipe(t, connector.Config{ReadHeaderTimeout: timeout}, h)
				if tc.busy {
					p.get(1, "/busy")
				}
				synctest.Wait()
				p.buf.Reset()
				for _, f := range []hpack.HeaderField{
					{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
					{Name: ":authority", Value: "x"}, {Name: ":path", Value: "/"},
				} {
					p.enc.WriteField(f)
				}
				start := time.Now()
				tc.send(p, bytes.Clone(p.buf.Bytes()))
				deadline := time.After(4 * timeout)
				for {
					var f xhttp2.Frame
					select {
					case f = <-p.frames:
					case <-deadline:
						if tc.served {
							t.Fatal("stream 3 not answered")
						}
						t.Fatalf("no GOAWAY %v after the block stalled", 4*timeout)
					}
					switch f := f.(type) {
					case nil:
						t.Fatal("the connection closed without GOAWAY")
					case *xhttp2.GoAwayFrame:
						if tc.served {
							t.Fatalf("GOAWAY %v", f.ErrCode)
						}
						if f.ErrCode != xhttp2.ErrCodeEnhanceYourCalm || time.Since(start) != timeout {
							t.Fatalf("GOAWAY %v after %v; want ENHANCE_YOUR_CALM after %v", f.ErrCode, time.Since(start), timeout)
						}
						return
					case *xhttp2.MetaHeadersFrame:
						if f.StreamID == 3 && tc.served {
							// The deadline is cleared again: the busy
							// stream keeps the connection open.
							time.Sleep(4 * timeout)
							synctest.Wait()
							select {
							case <-p.done:
								t.Fatal("the connection closed with a stream open")
							default:
							}
							return
						}
					}
				}
			})
		})
	}
}

// waiterConn is a connection whose bytes are all in memory, served as the
// epoll connector's are: a connector.Waiter. Writes are dropped.
type waiterConn struct {
	net.Conn // nil: what the reader does not use
	in       *bytes.Reader
}

func (c *waiterConn) TryRead(p []byte) (int, error) {
	if c.in.Len() == 0 {
		return 0, api.ErrWouldBlock
	}
	return c.in.Read(p)
}

// Read is TryRead, as connector.Handover.Reader reads a Waiter.
func (c *waiterConn) Read(p []byte) (int, error) { return c.TryRead(p) }

func (c *waiterConn) NotifyReadable(func())            {}
func (c *waiterConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *waiterConn) Close() error                     { return nil }
func (c *waiterConn) SetDeadline(time.Time) error      { return nil }
func (c *waiterConn) SetReadDeadline(time.Time) error  { return nil }
func (c *waiterConn) SetWriteDeadline(time.Time) error { return nil }

// A reader on a Waiter, which may run on the selector's goroutine, hands
// the connection on after h2FramesPerRun frames rather than keep the
// selector from its other connections while a client sends without pause.
func TestH2ReaderYieldsOnAWaiter(t *testing.T) {
	var in bytes.Buffer
	in.WriteString(xhttp2.ClientPreface)
	fr := xhttp2.NewFramer(&in, nil)
	fr.WriteSettings()
	for i := range 3 * h2FramesPerRun {
		fr.WritePing(false, [8]byte{byte(i)})
	}
	wc := &waiterConn{in: bytes.NewReader(in.Bytes())}
	hc := newServerConn(&Server{}, &connector.Handover{
		Conn: wc, Reader: wc,
		Limits: new(connector.Config).Limits(), Logger: slog.New(slog.DiscardHandler),
		Execute: func(t dispatcher.Task) { go t.Run() },
		Books:   pipeBooks{wc},
	})
	hc.readG.Acquire()
	defer hc.readG.Release()
	hc.br = hc.srv.getReader(hc.src)
	runs := 0
	for {
		runs++
		err := hc.readFrames()
		if err == api.ErrWouldBlock {
			break
		}
		if err != errH2Yield {
			t.Fatalf("run %d: %v", runs, err)
		}
	}
	// SETTINGS and 63 PINGs, 64 PINGs twice, the last PING and nothing.
	if want := 4; runs != want {
		t.Fatalf("%d frames read in %d runs, want %d", 1+3*h2FramesPerRun, runs, want)
	}
}

// A SETTINGS_INITIAL_WINDOW_SIZE that would take a closed stream's send
// window past 2^31-1 is no flow-control error: the stream has no window
// left to overflow (RFC 9113 §6.9.2 counts the windows of streams that
// can still carry DATA). Here the client gave stream 1 the largest window,
// then reset it while its handler still runs, which keeps the stream in
// the connection's books; the connection must go on.
func TestH2InitialWindowIgnoresClosedStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		h := streamFunc(func(s connector.Stream) {
			<-release
			s.Abort(connector.ErrClientGone)
		})
		p := startH2Pipe(t, connector.Config{}, h)
		defer close(release)
		p.get(1, "/")
		p.fr.WriteWindowUpdate(1, h2MaxWindow-65535)
		p.fr.WriteRSTStream(1, xhttp2.ErrCodeCancel)
		p.fr.WriteSettings(xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 65536})
		p.fr.WritePing(false, [8]byte{9})
		f := p.next(func(f xhttp2.Frame) bool {
			pf, ok := f.(*xhttp2.PingFrame)
			return ok && pf.IsAck() || isGoAway(f)
		})
		if f == nil || isGoAway(f) {
			t.Fatalf("got %v, want the PING answered", f)
		}
	})
}

// "expect: 100-continue" is answered with a 100 (Continue) when the
// handler first reads the body, as on HTTP/1.1 (RFC 9110 §10.1.1): a
// client that holds its body back until then (Go's, for its
// ExpectContinueTimeout) is not kept waiting. A handler that answers
// before it reads sends no 100, and a request whose body has ended gets
// none.
func TestH2ExpectContinue(t *testing.T) {
	for _, tc := range []struct {
		name      string
		headFirst bool // the handler writes its head before it reads
		end       bool // the request's HEADERS end the stream
		want100   bool
	}{
		{name: "read first", want100: true},
		{name: "head first", headFirst: true},
		{name: "no body", end: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := streamFunc(func(s connector.Stream) {
					if tc.headFirst {
						s.WriteHead(200, "", http.Header{}, -1, nil)
						s.Flush()
					}
					b, _ := io.ReadAll(s.Request().Body)
					if !tc.headFirst {
						s.WriteHead(200, "", http.Header{}, -1, nil)
					}
					s.WriteBody(b)
					s.Finish(nil)
				})
				p := startH2Pipe(t, connector.Config{}, h)
				p.buf.Reset()
				for _, f := range []hpack.HeaderField{
					{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
					{Name: ":authority", Value: "x"}, {Name: ":path", Value: "/"},
					{Name: "expect", Value: "100-continue"},
				} {
					p.enc.WriteField(f)
				}
				p.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: p.buf.Bytes(), EndStream: tc.end, EndHeaders: true})
				var statuses []string
				ended := false
				see := func(f xhttp2.Frame) bool {
					switch f := f.(type) {
					case *xhttp2.MetaHeadersFrame:
						if f.StreamID == 1 {
							statuses = append(statuses, f.PseudoValue("status"))
							ended = f.StreamEnded()
						}
					case *dataCopy:
						ended = f.end
					}
					return ended
				}
				// What comes before the client sends its body.
				synctest.Wait()
				for done := false; !done; {
					select {
					case f := <-p.frames:
						see(f)
					default:
						done = true
					}
				}
				if !tc.end {
					p.fr.WriteData(1, true, []byte("body"))
				}
				if !ended && p.next(see) == nil {
					t.Fatal("no end of the response")
				}
				want := []string{"200"}
				if tc.want100 {
					want = []string{"100", "200"}
				}
				if !slices.Equal(statuses, want) {
					t.Fatalf("response heads %q, want %q", statuses, want)
				}
			})
		})
	}
}
