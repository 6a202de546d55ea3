package http2_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
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
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/connector/http2"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The protections an HTTP/2 server needs against abusive peers, checked with
// a raw frame-level client over h2c.

// h2Client is a raw HTTP/2 connection: preface and SETTINGS sent.
type h2Client struct {
	nc  net.Conn
	fr  *xhttp2.Framer
	enc *hpack.Encoder
	dec *hpack.Decoder // made by readResponses
	buf bytes.Buffer
}

// dialH2C opens an h2c connection with prior knowledge: the preface and
// the client's SETTINGS (settings, if any) are sent.
func dialH2C(t testing.TB, addr string, settings ...xhttp2.Setting) *h2Client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return startH2Client(t, nc, settings...)
}

// dialH2TLS opens an HTTP/2 connection over TLS (ALPN "h2") with cfg, as
// dialH2C does in cleartext.
func dialH2TLS(t *testing.T, addr string, cfg *tls.Config, settings ...xhttp2.Setting) *h2Client {
	t.Helper()
	cfg = cfg.Clone()
	cfg.NextProtos = []string{"h2"}
	nc, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p := nc.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN chose %q", p)
	}
	return startH2Client(t, nc, settings...)
}

// dialMode opens a connection to s, served in one of the HTTP/2 modes
// (modes.H2C, modes.H2 and their portable forms), as dialH2C or dialH2TLS
// does.
func dialMode(t *testing.T, s *modes.Server, settings ...xhttp2.Setting) *h2Client {
	t.Helper()
	addr := strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
	if s.Mode.TLS() {
		return dialH2TLS(t, addr, s.ClientTLS, settings...)
	}
	return dialH2C(t, addr, settings...)
}

// startH2Client sends the preface and SETTINGS on nc.
func startH2Client(t testing.TB, nc net.Conn, settings ...xhttp2.Setting) *h2Client {
	t.Helper()
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(nc, xhttp2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	c := &h2Client{nc: nc, fr: xhttp2.NewFramer(nc, nc)}
	c.enc = hpack.NewEncoder(&c.buf)
	if err := c.fr.WriteSettings(settings...); err != nil {
		t.Fatal(err)
	}
	return c
}

// headerBlock encodes a GET of path plus extra fields.
func (c *h2Client) headerBlock(path string, extra ...hpack.HeaderField) []byte {
	return c.headerBlockMethod("GET", path, extra...)
}

// headerBlockMethod encodes a request with method for path plus extra
// fields.
func (c *h2Client) headerBlockMethod(method, path string, extra ...hpack.HeaderField) []byte {
	c.buf.Reset()
	for _, f := range append([]hpack.HeaderField{
		{Name: ":method", Value: method}, {Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: "x"}, {Name: ":path", Value: path},
	}, extra...) {
		c.enc.WriteField(f)
	}
	return bytes.Clone(c.buf.Bytes())
}

// closedByServer reads frames until the server closes the connection.
func (c *h2Client) closedByServer() error {
	for {
		if _, err := c.fr.ReadFrame(); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "reset by peer") {
				return nil
			}
			return err
		}
	}
}

// goAwayThenClose reads frames until the server's GOAWAY, which must
// carry code, and then until the server closes the connection. It fails if
// the connection ends without a GOAWAY, or with another code. After a
// flood, megabytes of small answers precede the GOAWAY: frames are parsed
// here, only as far as needed, to read them as fast as the server sent
// them.
func (c *h2Client) goAwayThenClose(code xhttp2.ErrCode) error {
	return c.goAwayNoted(code, nil)
}

// goAwayNoted is goAwayThenClose, storing true in seen (if not nil) as
// soon as the GOAWAY is read.
func (c *h2Client) goAwayNoted(code xhttp2.ErrCode, seen *atomic.Bool) error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var hdr [9]byte
	goAway := false
	for {
		_, err := io.ReadFull(br, hdr[:])
		if err == nil {
			n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
			if xhttp2.FrameType(hdr[3]) != xhttp2.FrameGoAway {
				_, err = br.Discard(n)
			} else {
				payload := make([]byte, n)
				if _, err = io.ReadFull(br, payload); err == nil {
					if n < 8 {
						return fmt.Errorf("GOAWAY of %d bytes", n)
					}
					if got := xhttp2.ErrCode(binary.BigEndian.Uint32(payload[4:])); got != code {
						return fmt.Errorf("GOAWAY %v, want %v", got, code)
					}
					goAway = true
					if seen != nil {
						seen.Store(true)
					}
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset by peer") {
				return err
			}
			if !goAway {
				return fmt.Errorf("closed without GOAWAY (%v)", err)
			}
			return nil
		}
	}
}

func abuseServer(t *testing.T) (string, *container.Container) {
	t.Helper()
	return abuseServerLogging(t, wharftest.DiscardLogger())
}

// abuseServerLogging is abuseServer logging to logger.
func abuseServerLogging(t *testing.T, logger *slog.Logger) (string, *container.Container) {
	t.Helper()
	c := container.New(container.WithH2C(), container.WithLogger(logger))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		select {
		case <-r.Context().Done():
		case <-time.After(200 * time.Millisecond):
		}
		return nil
	})
	// /hold answers only once its stream is gone (or after Patience): a
	// probe whose frames take longer than /slow's 200 ms to send, on a
	// loaded machine, would otherwise see the answer first.
	c.HandleFunc("/hold", func(w api.Response, r *api.Request) error {
		select {
		case <-r.Context().Done():
		case <-time.After(wharftest.Patience):
		}
		return nil
	})
	return listen(t, c), c
}

// An endless header block (CONTINUATION flood) is cut off: the server
// ends the connection with GOAWAY ENHANCE_YOUR_CALM long before the client
// is done sending, whether the frames carry fields, a byte each, or nothing
// at all (an empty frame still costs the server a frame to read: its 9-byte
// header counts).
func TestH2ContinuationFlood(t *testing.T) {
	for _, tc := range []struct {
		name string
		most int // bytes of frames (headers included) the server must not take
		// frames returns the next frames to send, whole, on stream 3.
		frames func(c *h2Client, i int) []byte
	}{
		{"fields", 32 << 20, func(c *h2Client, i int) []byte {
			c.buf.Reset()
			c.enc.WriteField(hpack.HeaderField{Name: fmt.Sprintf("x-junk-%d", i), Value: strings.Repeat("j", 8<<10)})
			var out bytes.Buffer
			xhttp2.NewFramer(&out, nil).WriteContinuation(3, false, c.buf.Bytes())
			return out.Bytes()
		}},
		// 1 MiB of empty frames at a time: written one by one, they would
		// take longer than ReadHeaderTimeout, which ends the connection
		// too (and is a minute here, so that only the count can).
		{"empty frames", 32 << 20, func(*h2Client, int) []byte {
			return bytes.Repeat([]byte{0, 0, 0, byte(xhttp2.FrameContinuation), 0, 0, 0, 0, 3}, (1<<20)/9)
		}},
		// Frames of one byte each, an indexed field (:method GET): only
		// the bytes of the block count, and they still end it.
		{"one-byte frames", 32 << 20, func(*h2Client, int) []byte {
			return bytes.Repeat([]byte{0, 0, 1, byte(xhttp2.FrameContinuation), 0, 0, 0, 0, 3, 0x82}, (1<<20)/10)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()),
				container.WithConnector(connector.Config{ReadHeaderTimeout: time.Minute}))
			c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
				_, err := w.WriteString("hello")
				return err
			})
			cl := dialH2C(t, listen(t, c))
			if err := cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: cl.headerBlock("/hello"), EndStream: true, EndHeaders: true}); err != nil {
				t.Fatal(err)
			}
			closed := make(chan error, 1)
			var goAway atomic.Bool
			go func() { closed <- cl.goAwayNoted(xhttp2.ErrCodeEnhanceYourCalm, &goAway) }()
			// A second request whose header block never ends.
			cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 3, BlockFragment: cl.headerBlock("/hello"), EndStream: true})
			sent := 0
			// Until the GOAWAY: the server then reads on for a while, to
			// close without a reset, and what it drains is not taken.
			for i := 0; sent < tc.most && !goAway.Load(); i++ {
				n, err := cl.nc.Write(tc.frames(cl, i))
				sent += n
				if err != nil {
					break // the server closed the connection
				}
			}
			if sent >= tc.most {
				t.Fatalf("the server read %d MiB of one header block", tc.most>>20)
			}
			if err := <-closed; err != nil {
				t.Fatalf("reading after the flood: %v", err)
			}
		})
	}
}

// flood sends frames that each provoke an answer, reading none, and checks
// that the server ends the connection with GOAWAY ENHANCE_YOUR_CALM
// instead of queueing the answers without bound or stopping reading. The
// client cannot read the GOAWAY while it reads nothing: it starts reading
// when the server logs that it is ending the connection, and must find the
// GOAWAY behind the answers already sent, and then the close. The race
// detector slows the server's frame loop so much that a flood takes
// minutes: test.sh runs these tests without it.
func flood(t *testing.T, what string, send func(fr *xhttp2.Framer, i uint32) error) {
	t.Helper()
	if wharftest.RaceEnabled {
		t.Skip("too slow under the race detector")
	}
	ending := make(chan struct{})
	addr, _ := abuseServerLogging(t, slog.New(&onMessage{msg: "http2: connection error", ch: ending}))
	c := dialH2C(t, addr)
	c.nc.SetDeadline(time.Now().Add(time.Minute)) // a flood takes seconds on a busy machine
	// The client reads nothing, so the answers back up at the server once
	// the socket buffers are full. (A tiny receive buffer would get there
	// sooner, but with it loopback TCP now and then stops both directions
	// for longer than the test waits, whatever the server does.)
	sent := make(chan error, 1)
	go func() {
		bw := bufio.NewWriterSize(c.nc, 4<<10)
		fr := xhttp2.NewFramer(bw, nil)
		var err error
		for i := uint32(0); i < 1_000_000 && err == nil; i++ {
			err = send(fr, i)
		}
		if err == nil {
			err = bw.Flush()
		}
		sent <- err
	}()
	select {
	case <-ending:
	case err := <-sent:
		t.Fatalf("the server did not end the connection after a million %s (the last write: %v)", what, err)
	}
	// Stop, and read what the server sent: its answers, then the GOAWAY.
	c.nc.SetWriteDeadline(time.Now())
	if err := c.goAwayThenClose(xhttp2.ErrCodeEnhanceYourCalm); err != nil {
		t.Fatalf("after the flood: %v", err)
	}
	<-sent
}

// onMessage is a slog.Handler that closes ch at the first record with msg.
type onMessage struct {
	msg  string
	ch   chan struct{}
	once sync.Once
}

func (h *onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h *onMessage) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *onMessage) WithGroup(string) slog.Handler            { return h }
func (h *onMessage) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}

func TestH2PingFlood(t *testing.T) {
	flood(t, "unanswered PINGs", func(fr *xhttp2.Framer, i uint32) error { return fr.WritePing(false, [8]byte{}) })
}

func TestH2SettingsFlood(t *testing.T) {
	flood(t, "unacknowledged SETTINGS", func(fr *xhttp2.Framer, i uint32) error {
		return fr.WriteSettings(xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 1 << 16})
	})
}

// RST_STREAM answers, provoked here with PRIORITY frames that depend on
// their own stream, are bounded like the control answers.
func TestH2ResetFlood(t *testing.T) {
	flood(t, "unanswered resets", func(fr *xhttp2.Framer, i uint32) error {
		return fr.WritePriority(2*i+1, xhttp2.PriorityParam{StreamDep: 2*i + 1})
	})
}

// Frames that each provoke a RST_STREAM, other than TestH2ResetFlood's,
// are bounded the same way: a zero WINDOW_UPDATE increment on a stream, a
// HEADERS frame whose block is empty, a stream opened beyond
// SETTINGS_MAX_CONCURRENT_STREAMS (REFUSED_STREAM).
func TestH2ProvokedResetFloods(t *testing.T) {
	hello, hold := requestBlock("/hello"), requestBlock("/hold")
	for _, tc := range []struct {
		name string
		send func(fr *xhttp2.Framer, i uint32) error
	}{
		{"WINDOW_UPDATE of 0 on a stream", func(fr *xhttp2.Framer, i uint32) error {
			if i == 0 {
				fr.AllowIllegalWrites = true
				return fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: hello, EndStream: true, EndHeaders: true})
			}
			return fr.WriteWindowUpdate(1, 0)
		}},
		{"empty HEADERS on new streams", func(fr *xhttp2.Framer, i uint32) error {
			return fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 2*i + 1, EndStream: true, EndHeaders: true})
		}},
		{"streams beyond MAX_CONCURRENT_STREAMS", func(fr *xhttp2.Framer, i uint32) error {
			return fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 2*i + 1, BlockFragment: hold, EndStream: true, EndHeaders: true})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { flood(t, tc.name, tc.send) })
	}
}

// requestBlock is the header block of a GET of path from a new encoder:
// static-table references and literals only, so that it decodes the same
// however often a connection is sent it.
func requestBlock(path string) []byte {
	c := &h2Client{}
	c.enc = hpack.NewEncoder(&c.buf)
	return c.headerBlock(path)
}

// Frames that ask for no answer and change nothing the server keeps (an
// empty DATA frame, DATA on a stream the server reset, PRIORITY on streams
// never opened, a frame of an unknown type, unsolicited acknowledgements,
// WINDOW_UPDATE on the connection) are read and dropped however many come:
// the connection then still answers a PING and serves a request, holding
// nothing from them, and the DATA's window was given back (the 3.2 MiB sent
// on the reset stream are three connection windows).
func TestH2SilentFloods(t *testing.T) {
	n := 100_000
	if wharftest.RaceEnabled {
		n = 10_000
	}
	chunk := make([]byte, 16<<10)
	for _, tc := range []struct {
		name   string
		frames int // 0: n
		// open prepares stream 1, if the flood needs it.
		open func(c *h2Client)
		send func(fr *xhttp2.Framer, i uint32) error
	}{
		{"empty DATA on an open stream", 0, func(c *h2Client) {
			c.get(t, 1, "/hold", false)
		}, func(fr *xhttp2.Framer, _ uint32) error { return fr.WriteData(1, false, nil) }},
		{"DATA on a stream the server reset", 200, func(c *h2Client) {
			c.writeBlock(t, 1, c.headerBlock("/hold", hpack.HeaderField{Name: "X-Upper", Value: "malformed"}), false)
			c.expectReset(t, 1, xhttp2.ErrCodeProtocol)
		}, func(fr *xhttp2.Framer, _ uint32) error { return fr.WriteData(1, false, chunk) }},
		{"PRIORITY on streams never opened", 0, nil, func(fr *xhttp2.Framer, i uint32) error {
			return fr.WritePriority(2*i+3, xhttp2.PriorityParam{StreamDep: 1, Weight: 255})
		}},
		{"frames of an unknown type", 0, nil, func(fr *xhttp2.Framer, _ uint32) error { return fr.WriteRawFrame(0xfa, 0, 0, nil) }},
		{"SETTINGS and PING acknowledgements never asked for", 0, nil, func(fr *xhttp2.Framer, i uint32) error {
			if i%2 == 0 {
				return fr.WriteSettingsAck()
			}
			return fr.WritePing(true, [8]byte{})
		}},
		{"WINDOW_UPDATE of 1 on the connection", 0, nil, func(fr *xhttp2.Framer, _ uint32) error { return fr.WriteWindowUpdate(0, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, cont := abuseServer(t)
			c := dialH2C(t, addr)
			if tc.open != nil {
				tc.open(c)
			}
			frames := tc.frames
			if frames == 0 {
				frames = n
			}
			bw := bufio.NewWriterSize(c.nc, 64<<10)
			fr := xhttp2.NewFramer(bw, nil)
			for i := range uint32(frames) {
				if err := tc.send(fr, i); err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
			}
			if err := bw.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := c.goAwayOrPing(t); got != "PING" {
				t.Fatalf("after %d frames: %s, want the PING answered", frames, got)
			}
			const id = 1<<30 + 1
			c.get(t, id, "/hello", true)
			if r := c.readResponses(t, id)[id]; r.status != "200" || r.body.String() != "hello" {
				t.Fatalf("after %d frames: %q %q, want 200 hello", frames, r.status, r.body.String())
			}
			c.fr.WriteRSTStream(1, xhttp2.ErrCodeCancel) // /hold, if open
			wharftest.WaitFor(t, "no request left", func() bool { return cont.Stats().Active == 0 })
		})
	}
}

// Rapid reset: streams opened and reset at once cost the server no more
// than the work they started; it serves others meanwhile and nothing is
// left behind.
func TestH2RapidReset(t *testing.T) {
	addr, c := abuseServer(t)
	base := runtime.NumGoroutine()
	cl := dialH2C(t, addr)
	go io.Copy(io.Discard, cl.nc) // read whatever the server says
	block := cl.headerBlock("/slow")
	for id := uint32(1); id < 2*5000; id += 2 {
		if err := cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}); err != nil {
			break // the server may close a connection that does this
		}
		if err := cl.fr.WriteRSTStream(id, xhttp2.ErrCodeCancel); err != nil {
			break
		}
	}
	// Others are still served.
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("http://" + addr + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cl.nc.Close()
	wharftest.WaitFor(t, "the reset requests to end", func() bool { return c.Stats().Active == 0 })
	wharftest.WaitFor(t, "goroutines to return", func() bool {
		ex := c.Stats().Executor
		return runtime.NumGoroutine()-(ex.Workers-ex.Busy) <= base+10
	})
}

// A flooding client that never reads is gone soon after the connection
// error, over TLS as in cleartext: the writer gives up at h2GoAwayTimeout,
// and what it had handed to the connection is dropped rather than waited
// for until WriteTimeout.
func TestH2FloodedConnectionCloses(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("too slow under the race detector")
	}
	for _, m := range []modes.Mode{modes.H2C, modes.H2} {
		t.Run(string(m), func(t *testing.T) {
			ending := make(chan struct{})
			c := container.New(append(modes.Options(m), container.WithLogger(slog.New(&onMessage{msg: "http2: connection error", ch: ending})))...)
			s := modes.Start(t, m, c)
			cl := dialMode(t, s)
			cl.nc.SetDeadline(time.Now().Add(time.Minute))
			go func() {
				bw := bufio.NewWriterSize(cl.nc, 4<<10)
				fr := xhttp2.NewFramer(bw, nil)
				for range 2_000_000 {
					if fr.WritePing(false, [8]byte{}) != nil {
						return
					}
				}
				bw.Flush()
			}()
			select {
			case <-ending:
			case <-time.After(time.Minute):
				t.Fatal("no connection error after two million unanswered PINGs")
			}
			wharftest.WaitFor(t, "the flooded connection to close", func() bool { return c.Stats().Connections.Open == 0 })
		})
	}
}

// A SETTINGS frame may repeat SETTINGS_INITIAL_WINDOW_SIZE: 16 KiB holds
// 2,730 values. Each moves every stream's window (RFC 9113 §6.9.2), but
// the windows need moving once per frame: going over every stream once
// per value made such a frame, with a connection's 250 streams open,
// cost the server about 76 times the same frame on an empty connection
// (22 ms of CPU for 16 KiB from the client); once per frame, about the
// same. The benchmark times one frame's round trip, with the streams
// open and without.
func BenchmarkH2RepeatedInitialWindowSize(b *testing.B) {
	var values []xhttp2.Setting
	for i := range http2.H2MaxFrame / 6 {
		values = append(values, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: uint32(65535 + i%2)})
	}
	for _, streams := range []int{0, http2.H2MaxStreams} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			addr := holdServer(b)
			cl := dialH2C(b, addr)
			ack := func() {
				for {
					f, err := cl.fr.ReadFrame()
					if err != nil {
						b.Fatal(err)
					}
					if s, ok := f.(*xhttp2.SettingsFrame); ok && s.IsAck() {
						return
					}
				}
			}
			ack() // the preface's
			for i := range uint32(streams) {
				cl.get(b, 2*i+1, "/hold", true)
			}
			for b.Loop() {
				if err := cl.fr.WriteSettings(values...); err != nil {
					b.Fatal(err)
				}
				ack()
			}
		})
	}
}

// Moved once per frame, the windows still overflow where one of the
// frame's values would have made one exceed 2^31-1, even if a later value
// brings it back.
func TestH2InitialWindowSizeOverflowsMidFrame(t *testing.T) {
	addr := holdServer(t)
	cl := dialH2C(t, addr)
	cl.get(t, 1, "/hold", true)
	// Stream 1's window at the top: 65,535 and the rest.
	if err := cl.fr.WriteWindowUpdate(1, 1<<31-1-65535); err != nil {
		t.Fatal(err)
	}
	if err := cl.fr.WriteSettings(
		xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 65536},
		xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 65535},
	); err != nil {
		t.Fatal(err)
	}
	if err := cl.goAwayThenClose(xhttp2.ErrCodeFlowControl); err != nil {
		t.Fatal(err)
	}
}

// holdServer serves /hold, whose handlers return when the test ends.
func holdServer(t testing.TB) string {
	t.Helper()
	release := make(chan struct{})
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/hold", func(w api.Response, r *api.Request) error {
		<-release
		return nil
	})
	addr := listen(t, c)
	t.Cleanup(func() { close(release) }) // before the server's shutdown
	return addr
}

// A handler that closes the request body and runs on takes no more of it
// than MaxDiscardBytes and a stream window: the stream's window is then
// not opened again, so a client that follows flow control stops sending
// (as x/net's server makes it), and after the response the stream is
// reset NO_ERROR. The connection's window is still opened for its other
// streams. Before, every byte was credited back for as long as the
// handler ran.
func TestH2ClosedBodyStopsFlow(t *testing.T) {
	const maxDiscard = 1000
	closed, release := make(chan struct{}), make(chan struct{})
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()),
		container.WithConnector(connector.Config{MaxDiscardBytes: maxDiscard}))
	c.HandleFunc("/closed", func(w api.Response, r *api.Request) error {
		r.Body().Close()
		close(closed)
		<-release
		_, err := w.WriteString("done")
		return err
	})
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	addr := listen(t, c)
	cl := dialH2C(t, addr)

	// The windows as the client sees them, brought up to date by reading
	// the server's frames until the answer to a PING: the server queues
	// a WINDOW_UPDATE as it takes DATA, before it answers a PING that
	// came after.
	streamWin, connWin := int64(65535), int64(65535)
	var pingN uint64
	catchUp := func() {
		pingN++
		var data [8]byte
		binary.BigEndian.PutUint64(data[:], pingN)
		if err := cl.fr.WritePing(false, data); err != nil {
			t.Fatal(err)
		}
		for {
			f, err := cl.fr.ReadFrame()
			if err != nil {
				t.Fatal(err)
			}
			switch f := f.(type) {
			case *xhttp2.SettingsFrame:
				if v, ok := f.Value(xhttp2.SettingInitialWindowSize); ok && !f.IsAck() {
					streamWin = int64(v)
				}
				if !f.IsAck() {
					cl.fr.WriteSettingsAck()
				}
			case *xhttp2.WindowUpdateFrame:
				if f.StreamID == 0 {
					connWin += int64(f.Increment)
				} else if f.StreamID == 1 {
					streamWin += int64(f.Increment)
				}
			case *xhttp2.PingFrame:
				if f.IsAck() && f.Data == data {
					return
				}
			case *xhttp2.RSTStreamFrame:
				t.Fatalf("stream %d reset %v while its handler runs", f.StreamID, f.ErrCode)
			}
		}
	}
	catchUp()
	cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: cl.headerBlockMethod("POST", "/closed"), EndHeaders: true})
	<-closed
	limit := int64(8 * http2.H2StreamWindow)
	var sent int64
	chunk := make([]byte, 16384)
	for sent < limit {
		n := min(streamWin, connWin, int64(len(chunk)))
		if n == 0 {
			catchUp()
			if min(streamWin, connWin) == 0 {
				break // the server stopped the flow
			}
			continue
		}
		if err := cl.fr.WriteData(1, false, chunk[:n]); err != nil {
			t.Fatal(err)
		}
		sent += n
		streamWin -= n
		connWin -= n
	}
	if most := int64(maxDiscard + http2.H2StreamWindow + len(chunk)); sent > most {
		t.Fatalf("the client could send %d bytes to a body its handler closed, want at most %d", sent, most)
	}
	if connWin == 0 {
		t.Errorf("the connection's window stayed shut (stream window %d): its other streams are stalled", streamWin)
	}
	close(release)
	rs := cl.readResponses(t, 1)
	if r := rs[1]; r.status != "200" || r.body.String() != "done" {
		t.Errorf("stream 1: %s %q", r.status, r.body.String())
	}
	cl.expectReset(t, 1, xhttp2.ErrCodeNo)
	cl.get(t, 3, "/hello", true)
	if r := cl.readResponses(t, 3)[3]; r.body.String() != "hello" {
		t.Errorf("stream 3 after: %s %q", r.status, r.body.String())
	}
}
