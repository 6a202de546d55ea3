package http2

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// watchedServer is a Server whose connections' readers record, each time
// they wait for the socket, what they hold: a test sees the reader's
// state between its runs without touching it while it runs.
type watchedServer struct {
	*Server
	conns chan *watchedConn
}

// watchedConn is a connection of a watchedServer.
type watchedConn struct {
	mu     sync.Mutex
	parked parkState // at the reader's last wait
}

// parkState is what a reader held when it last waited.
type parkState struct {
	read    int64 // bytes it had from the connection, the preface's included
	pooled  bool  // its frame buffer was back in the pool
	carried int   // bytes of a partial frame kept without the buffer
}

// ServeConn is Server.ServeConn with the reader's source counted and its
// waits recorded (on the reader's goroutine, before it lets go).
func (s *watchedServer) ServeConn(h *connector.Handover) {
	hc := newServerConn(s.Server, h)
	wc := &watchedConn{}
	src := &countingReader{r: hc.src}
	hc.src = src
	if hc.wait != nil {
		hc.wait = waitProbe{hc.wait, func() {
			wc.mu.Lock()
			wc.parked = parkState{read: src.n, pooled: hc.br == nil, carried: len(hc.carry)}
			wc.mu.Unlock()
		}}
	}
	s.conns <- wc
	hc.serve()
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// waitProbe is a Waiter that calls parked before each wait.
type waitProbe struct {
	connector.Waiter
	parked func()
}

func (w waitProbe) NotifyReadable(f func()) {
	w.parked()
	w.Waiter.NotifyReadable(f)
}

// awaitPark returns the reader's state once it waits having read all n
// bytes the client sent.
func (wc *watchedConn) awaitPark(t *testing.T, n int64) parkState {
	t.Helper()
	var st parkState
	wharftest.WaitFor(t, "the reader to wait after "+strconv.FormatInt(n, 10)+" bytes", func() bool {
		wc.mu.Lock()
		defer wc.mu.Unlock()
		st = wc.parked
		return st.read == n
	})
	return st
}

// dialWatched serves h in cleartext HTTP/2 on the epoll connector and
// opens a connection to it, its preface and a SETTINGS of settings sent.
func dialWatched(t *testing.T, h connector.Handler, settings ...xhttp2.Setting) (*h2Pipe, *watchedConn) {
	t.Helper()
	ws := &watchedServer{Server: &Server{}, conns: make(chan *watchedConn, 1)}
	srv := &connector.Server{Handler: h, Config: connector.Config{HTTP2: ws, H2C: true}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		<-served
	})
	nc := &sentConn{Conn: wharftest.Dial(t, l.Addr().String(), wharftest.Patience)}
	p := &h2Pipe{frames: make(chan xhttp2.Frame, 64)}
	p.open(nc, settings...)
	t.Cleanup(func() {
		nc.Close()
		for range p.frames {
		}
	})
	return p, <-ws.conns
}

// sentConn is the client's side of a connection, counting what it sent.
type sentConn struct {
	net.Conn
	n atomic.Int64
}

func (c *sentConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// sent is the bytes p's client sent, the preface's included.
func (p *h2Pipe) sent() int64 { return p.nc.(*sentConn).n.Load() }

// echo is the handler of the tests below: it answers a POST with its
// body, once read to its end, and reports what it read; it answers
// anything else with its x-a field in x-got.
type echo chan echoed

type echoed struct {
	body []byte
	err  error
}

func (e echo) ServeStream(s connector.Stream) {
	req := s.Request()
	if req.Method != http.MethodPost {
		s.WriteHead(http.StatusOK, "", http.Header{"X-Got": {req.Header.Get("x-a")}}, 0, nil)
		s.Finish(nil)
		return
	}
	b, err := io.ReadAll(req.Body)
	e <- echoed{b, err}
	if err != nil {
		s.Abort(err)
		return
	}
	s.WriteHead(http.StatusOK, "", http.Header{}, int64(len(b)), nil)
	s.WriteBody(b)
	s.Finish(nil)
}

// headerBlock is the HPACK encoding of fields on p's connection.
func (p *h2Pipe) headerBlock(fields ...string) []byte {
	p.buf.Reset()
	for i := 0; i < len(fields); i += 2 {
		p.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return bytes.Clone(p.buf.Bytes())
}

// postHead opens stream id with a POST of /echo whose body is to come.
func (p *h2Pipe) postHead(id uint32) {
	p.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, EndHeaders: true,
		BlockFragment: p.headerBlock(":method", "POST", ":scheme", "http", ":authority", "x", ":path", "/echo")})
}

// A client that sends a few bytes of a large frame and stalls, a stream
// open so that no deadline ends the connection, holds those bytes, not
// the reader's 16 KiB buffer: the reader carries what it has and gives
// the buffer back while it waits. One that sent 1 KiB or more of the frame
// keeps it (the client paid for it, and a large DATA frame arriving in
// segments is not copied). Either way the rest of the frame completes it,
// and the handler reads exactly what was sent.
func TestH2PartialFrameCarried(t *testing.T) {
	tests := []struct {
		name   string
		first  int // bytes of the frame's payload sent before the pause
		pooled bool
	}{
		{"10 bytes", 10, true},
		{"just under the carry", h2CarryMax - h2FrameHeaderLen - 1, true},
		{"the carry", h2CarryMax - h2FrameHeaderLen, false},
		{"2000 bytes", 2000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bodies := make(echo, 1)
			p, wc := dialWatched(t, bodies)
			p.postHead(1)
			body := make([]byte, h2MaxFrame)
			for i := range body {
				body[i] = byte(i * 7)
			}
			var frame bytes.Buffer
			xhttp2.NewFramer(&frame, nil).WriteData(1, true, body)
			whole := frame.Bytes()
			cut := h2FrameHeaderLen + tt.first

			p.nc.Write(whole[:cut])
			st := wc.awaitPark(t, p.sent())
			if st.pooled != tt.pooled {
				t.Errorf("waiting with %d bytes of a frame: buffer pooled %v, want %v", cut, st.pooled, tt.pooled)
			}
			if want := cut; tt.pooled && st.carried != want {
				t.Errorf("carried %d bytes, want %d", st.carried, want)
			}

			p.nc.Write(whole[cut:])
			got := <-bodies
			if got.err != nil || !bytes.Equal(got.body, body) {
				t.Fatalf("the handler read %d bytes (%v), want the %d sent", len(got.body), got.err, len(body))
			}
			st = wc.awaitPark(t, p.sent())
			if !st.pooled || st.carried != 0 {
				t.Errorf("waiting after the frame: pooled %v, %d bytes carried", st.pooled, st.carried)
			}
		})
	}
}

// Every kind of frame a client sends, sent one byte at a time with the
// reader waiting on the socket after each, is handled as when it comes
// whole: the reader carries each partial frame across its waits, its
// buffer back in the pool each time, and hands the frame on once it is
// all there. Each connection has stream 1 open, a POST whose body is to
// come; after the frames, a PING shows the connection still reads.
func TestH2FrameByteAtATime(t *testing.T) {
	tests := []struct {
		name     string
		settings []xhttp2.Setting                   // the client's first SETTINGS
		pre      func(p *h2Pipe)                    // sent whole before the frames
		frames   func(p *h2Pipe, fr *xhttp2.Framer) // sent whole or a byte at a time
		check    func(t *testing.T, p *h2Pipe, bodies echo)
		ends     bool // the connection ends after check
	}{
		{
			name: "HEADERS and CONTINUATION",
			frames: func(p *h2Pipe, fr *xhttp2.Framer) {
				blk := p.headerBlock(":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/", "x-a", "continued")
				fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 3, EndStream: true, BlockFragment: blk[:5]})
				fr.WriteContinuation(3, false, blk[5:10])
				fr.WriteContinuation(3, true, blk[10:])
			},
			check: func(t *testing.T, p *h2Pipe, _ echo) {
				f := p.next(func(f xhttp2.Frame) bool { return streamOf(f) == 3 })
				h, ok := f.(*xhttp2.MetaHeadersFrame)
				if !ok || h.PseudoValue("status") != "200" {
					t.Fatalf("stream 3: %v, want a 200", f)
				}
				for _, hf := range h.RegularFields() {
					if hf.Name == "x-got" && hf.Value == "continued" {
						return
					}
				}
				t.Fatalf("stream 3's response: %v, want x-got: continued", h.Fields)
			},
		},
		{
			name: "DATA with padding",
			frames: func(p *h2Pipe, fr *xhttp2.Framer) {
				fr.WriteDataPadded(1, false, []byte("hello, "), make([]byte, 20))
				fr.WriteDataPadded(1, true, []byte("world"), []byte{})
			},
			check: func(t *testing.T, p *h2Pipe, bodies echo) {
				if got := <-bodies; got.err != nil || string(got.body) != "hello, world" {
					t.Fatalf("the handler read %q (%v)", got.body, got.err)
				}
				if d, ok := p.next(isData(1)).(*dataCopy); !ok || string(d.data) != "hello, world" {
					t.Fatalf("the response's data: %v", d)
				}
			},
		},
		{
			name: "SETTINGS",
			frames: func(p *h2Pipe, fr *xhttp2.Framer) {
				fr.WriteSettings(xhttp2.Setting{ID: xhttp2.SettingMaxFrameSize, Val: 1 << 20}, xhttp2.Setting{ID: xhttp2.SettingEnablePush, Val: 0})
			},
			check: func(t *testing.T, p *h2Pipe, _ echo) {
				// The preface's SETTINGS was acknowledged first.
				acks := 0
				if p.next(func(f xhttp2.Frame) bool {
					if s, ok := f.(*xhttp2.SettingsFrame); ok && s.IsAck() {
						acks++
					}
					return acks == 2
				}) == nil {
					t.Fatal("no SETTINGS ack")
				}
			},
		},
		{
			name:   "PING",
			frames: func(p *h2Pipe, fr *xhttp2.Framer) { fr.WritePing(false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8}) },
			check: func(t *testing.T, p *h2Pipe, _ echo) {
				if p.next(isPingAck([8]byte{1, 2, 3, 4, 5, 6, 7, 8})) == nil {
					t.Fatal("no PING ack")
				}
			},
		},
		{
			name:     "WINDOW_UPDATE",
			settings: []xhttp2.Setting{{ID: xhttp2.SettingInitialWindowSize, Val: 0}},
			pre:      func(p *h2Pipe) { p.fr.WriteData(1, true, []byte("windowed")) },
			frames:   func(p *h2Pipe, fr *xhttp2.Framer) { fr.WriteWindowUpdate(1, 3) },
			check: func(t *testing.T, p *h2Pipe, bodies echo) {
				<-bodies
				if d, ok := p.next(isData(1)).(*dataCopy); !ok || string(d.data) != "win" {
					t.Fatalf("the response's data: %v, want the 3 bytes of the window", d)
				}
			},
		},
		{
			name:   "RST_STREAM",
			frames: func(p *h2Pipe, fr *xhttp2.Framer) { fr.WriteRSTStream(1, xhttp2.ErrCodeCancel) },
			check: func(t *testing.T, p *h2Pipe, bodies echo) {
				if got := <-bodies; got.err == nil {
					t.Fatalf("the handler read %q of a reset stream, no error", got.body)
				}
			},
		},
		{
			name: "PRIORITY",
			frames: func(p *h2Pipe, fr *xhttp2.Framer) {
				fr.WritePriority(1, xhttp2.PriorityParam{StreamDep: 5, Weight: 7})
				fr.WritePriority(1, xhttp2.PriorityParam{StreamDep: 1}) // on itself: a stream error
			},
			check: func(t *testing.T, p *h2Pipe, bodies echo) {
				f := p.next(func(f xhttp2.Frame) bool { _, ok := f.(*xhttp2.RSTStreamFrame); return ok })
				if r, ok := f.(*xhttp2.RSTStreamFrame); !ok || r.StreamID != 1 || r.ErrCode != xhttp2.ErrCodeProtocol {
					t.Fatalf("%v, want RST_STREAM PROTOCOL_ERROR on stream 1", f)
				}
				<-bodies
			},
		},
		{
			name:   "GOAWAY",
			frames: func(p *h2Pipe, fr *xhttp2.Framer) { fr.WriteGoAway(0, xhttp2.ErrCodeNo, []byte("bye")) },
			check: func(t *testing.T, p *h2Pipe, bodies echo) {
				// The stream open is answered, a new one is not served,
				// and the connection ends with the last stream.
				p.get(3, "/")
				p.fr.WriteData(1, true, []byte("last"))
				if got := <-bodies; got.err != nil || string(got.body) != "last" {
					t.Fatalf("the handler read %q (%v)", got.body, got.err)
				}
				answered := false
				for f := range p.frames {
					switch f := f.(type) {
					case *dataCopy:
						answered = answered || f.StreamID == 1 && string(f.data) == "last"
					case *xhttp2.MetaHeadersFrame:
						if f.StreamID == 3 {
							t.Errorf("stream 3 answered after the client's GOAWAY")
						}
					}
				}
				if !answered {
					t.Errorf("stream 1 not answered after the client's GOAWAY")
				}
			},
			ends: true,
		},
	}
	for _, tt := range tests {
		for _, drip := range []bool{false, true} {
			name := tt.name + "/whole"
			if drip {
				name = tt.name + "/byte at a time"
			}
			t.Run(name, func(t *testing.T) {
				bodies := make(echo, 1)
				p, wc := dialWatched(t, bodies, tt.settings...)
				p.postHead(1)
				if tt.pre != nil {
					tt.pre(p)
				}
				var out bytes.Buffer
				tt.frames(p, xhttp2.NewFramer(&out, nil))
				if !drip {
					p.nc.Write(out.Bytes())
				} else {
					for i, b := range out.Bytes() {
						p.nc.Write([]byte{b})
						if st := wc.awaitPark(t, p.sent()); !st.pooled {
							t.Fatalf("waiting after byte %d of %d: the reader keeps its buffer (%d bytes carried)", i+1, out.Len(), st.carried)
						}
					}
				}
				tt.check(t, p, bodies)
				if tt.ends {
					return
				}
				p.fr.WritePing(false, [8]byte{'e', 'n', 'd'})
				if p.next(isPingAck([8]byte{'e', 'n', 'd'})) == nil {
					t.Fatalf("the connection ended: %v", p.readErr)
				}
			})
		}
	}
}

func isData(id uint32) func(xhttp2.Frame) bool {
	return func(f xhttp2.Frame) bool { d, ok := f.(*dataCopy); return ok && d.StreamID == id }
}

func isPingAck(data [8]byte) func(xhttp2.Frame) bool {
	return func(f xhttp2.Frame) bool { p, ok := f.(*xhttp2.PingFrame); return ok && p.IsAck() && p.Data == data }
}

// streamOf is the stream of f, one of the frames tests look at, without
// its Header, which the framer invalidates once it reads the next frame.
func streamOf(f xhttp2.Frame) uint32 {
	switch f := f.(type) {
	case *dataCopy:
		return f.StreamID
	case *xhttp2.MetaHeadersFrame:
		return f.StreamID
	case *xhttp2.RSTStreamFrame:
		return f.StreamID
	}
	return 0
}
