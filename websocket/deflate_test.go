package websocket_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
	"github.com/wharf-go/wharf/websocket"
)

// countingConn counts the bytes a client reads off the wire.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// dialDeflate dials path with gorilla's client offering permessage-deflate,
// counting the bytes it reads into n.
func dialDeflate(t *testing.T, s *modes.Server, path string, n *atomic.Int64) *gws.Conn {
	t.Helper()
	var d net.Dialer
	ws, resp, err := dialerFor(s, gws.Dialer{
		HandshakeTimeout:  10 * time.Second,
		EnableCompression: true,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{nc, n}, nil
		},
	}).Dial(wsURL(s, path), nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { ws.Close() })
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.HasPrefix(ext, "permessage-deflate") {
		t.Fatalf("Sec-WebSocket-Extensions: %q, want permessage-deflate", ext)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	return ws
}

// With Config.EnableCompression, gorilla's client offering
// permessage-deflate gets it, on both connectors: what it sends
// compressed (every message, the large ones in fragments) is echoed
// intact, text and binary, small and large, and what the server sends
// goes compressed when that makes it smaller.
func TestCompressionEcho(t *testing.T) {
	random := make([]byte, 100<<10)
	for i := range random {
		random[i] = byte(rand.IntN(256))
	}
	text := strings.Repeat("a chat message, compressible. ", 10<<10) // 300 KiB
	tests := []struct {
		name   string
		binary bool
		data   []byte
		// most is the most bytes the echo may take on the wire: less
		// than the message when it compresses.
		most int
	}{
		{"short text", false, []byte("hi"), 64},
		{"unicode text", false, []byte(strings.Repeat("naïve café ☕ ", 20)), 1 << 10},
		{"large text", false, []byte(text), len(text) / 10},
		{"binary zeros", true, make([]byte, 500<<10), 10 << 10},
		{"binary random", true, random, len(random) + 1<<10},
		{"empty binary", true, []byte{}, 64},
	}
	eachH1(t, func(t *testing.T, m modes.Mode) {
		s := serveWS(t, m, websocket.Config{EnableCompression: true}, &echoAll{})
		var n atomic.Int64
		ws := dialDeflate(t, s, "/ws", &n)
		for _, tc := range tests {
			kind := gws.TextMessage
			if tc.binary {
				kind = gws.BinaryMessage
			}
			if err := ws.WriteMessage(kind, tc.data); err != nil {
				t.Fatalf("%s: write: %v", tc.name, err)
			}
			before := n.Load()
			got, data, err := ws.ReadMessage()
			if err != nil || got != kind || !bytes.Equal(data, tc.data) {
				t.Fatalf("%s: echo type %d, %d bytes (%v); want type %d, %d bytes", tc.name, got, len(data), err, kind, len(tc.data))
			}
			if wire := n.Load() - before; m != modes.H1TLS && wire > int64(tc.most) {
				t.Errorf("%s: the echo of %d bytes took %d on the wire, want at most %d", tc.name, len(tc.data), wire, tc.most)
			}
		}
		ws.WriteMessage(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""))
		if _, _, err := ws.ReadMessage(); !gws.IsCloseError(err, gws.CloseNormalClosure) {
			t.Errorf("after the close: %v, want 1000", err)
		}
	})
}

// A compressed message that inflates past ReadLimit fails with 1009
// (ErrTooBig), however small it is on the wire: 16 MiB of zeros, some
// 16 KiB compressed, under a ReadLimit of 64 KiB; the limit holds across
// fragments too.
func TestCompressionBomb(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := closeRecorder{closed: make(chan error, 1)}
		s := serveWS(t, m, websocket.Config{EnableCompression: true, ReadLimit: 64 << 10}, h)
		var n atomic.Int64
		ws := dialDeflate(t, s, "/ws", &n)
		ws.WriteMessage(gws.BinaryMessage, make([]byte, 16<<20))
		// The dial's deadline counted the compression of 16 MiB too,
		// seconds under -race on a busy machine.
		ws.SetReadDeadline(time.Now().Add(wharftest.Patience))
		if _, _, err := ws.ReadMessage(); !gws.IsCloseError(err, gws.CloseMessageTooBig) {
			t.Errorf("read: %v, want close 1009", err)
		}
		select {
		case err := <-h.closed:
			if !errors.Is(err, websocket.ErrTooBig) {
				t.Errorf("OnClose(%v), want ErrTooBig", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("OnClose not called")
		}
	})
}

// compress is a message's payload as permessage-deflate sends it (RFC
// 7692 §7.2.1).
func compress(t *testing.T, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestSpeed)
	fw.Write(p)
	fw.Flush()
	z, ok := bytes.CutSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
	if !ok {
		t.Fatal("a sync flush ends in 00 00 ff ff")
	}
	return z
}

// withRSV sets the RSV bits rsv (0x40: RSV1) on a frame.
func withRSV(frame []byte, rsv byte) []byte {
	frame[0] |= rsv
	return frame
}

// What the peer sends with an RSV bit is read as permessage-deflate only
// once the handshake accepted it: without compression enabled, or when
// the client did not offer it, RSV1 is a protocol error (1002), as it is
// on a control frame or a continuation frame (RFC 7692 §6), and RSV2 is
// always. A compressed message that does not inflate is 1002 too, and
// compressed text that is not UTF-8 1007; a good one, in one frame or in
// fragments, is echoed.
func TestCompressionFrames(t *testing.T) {
	const offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
	hello := compress(t, []byte("hello"))
	tests := []struct {
		name   string
		enable bool
		fields string
		frames []byte
		want   string // the echo, or the close code
	}{
		{"compressed, not enabled", false, offer, withRSV(clientFrame(wsframe.OpText, hello, true), 0x40), "1002"},
		{"compressed, not offered", true, "", withRSV(clientFrame(wsframe.OpText, hello, true), 0x40), "1002"},
		{"compressed", true, offer, withRSV(clientFrame(wsframe.OpText, hello, true), 0x40), "hello"},
		{"compressed fragments", true, offer, append(append(
			withRSV(clientFrame(wsframe.OpText, hello[:2], false), 0x40),
			clientFrame(wsframe.OpContinuation, hello[2:4], false)...),
			clientFrame(wsframe.OpContinuation, hello[4:], true)...), "hello"},
		{"uncompressed, enabled", true, offer, clientFrame(wsframe.OpText, []byte("plain"), true), "plain"},
		{"RSV1 on a ping", true, offer, withRSV(clientFrame(wsframe.OpPing, nil, true), 0x40), "1002"},
		{"RSV1 on a continuation", true, offer, append(
			clientFrame(wsframe.OpText, []byte("a"), false),
			withRSV(clientFrame(wsframe.OpContinuation, hello, true), 0x40)...), "1002"},
		{"RSV2", true, offer, withRSV(clientFrame(wsframe.OpText, []byte("x"), true), 0x20), "1002"},
		{"not deflate", true, offer, withRSV(clientFrame(wsframe.OpBinary, []byte{0xff, 0xff, 0xff}, true), 0x40), "1002"},
		{"text not UTF-8", true, offer, withRSV(clientFrame(wsframe.OpText, compress(t, []byte("\xff\xfe")), true), 0x40), "1007"},
	}
	eachH1(t, func(t *testing.T, m modes.Mode) {
		for _, tc := range tests {
			s := serveWS(t, m, websocket.Config{EnableCompression: tc.enable}, &echoAll{})
			rc := dialRawFields(t, s, "/ws", tc.fields, nil)
			ext := rc.resp.Header.Get("Sec-WebSocket-Extensions")
			if accepted := tc.enable && tc.fields != ""; (ext != "") != accepted {
				t.Fatalf("%s: Sec-WebSocket-Extensions: %q", tc.name, ext)
			}
			rc.nc.Write(tc.frames)
			f, err := rc.next()
			got := string(f.Payload)
			if f.Opcode == wsframe.OpClose {
				code, _ := closeCode(f)
				got = strconv.Itoa(code)
			}
			if err != nil || got != tc.want {
				t.Errorf("%s: opcode %d, %q (%v); want %s", tc.name, f.Opcode, got, err, tc.want)
			}
		}
	})
}

// The server accepts an offer of permessage-deflate only if it can
// honour it (RFC 7692 §7): an offer with a parameter it does not know, a
// parameter given twice or with a bad value, or a server_max_window_bits
// below the 15 bits Send's deflater uses, is declined, and the next offer
// considered. Whatever the 101 says, the connection acts on it: a
// compressed message is echoed where compression was accepted, and is a
// protocol error (1002) where it was declined.
func TestCompressionOffers(t *testing.T) {
	hello := withRSV(clientFrame(wsframe.OpText, compress(t, []byte("hello")), true), 0x40)
	tests := []struct {
		offers []string // the Sec-WebSocket-Extensions fields
		accept bool
	}{
		{[]string{"permessage-deflate"}, true},
		{[]string{"permessage-deflate; client_max_window_bits"}, true},
		{[]string{"permessage-deflate; client_max_window_bits=10"}, true},
		{[]string{"permessage-deflate;client_max_window_bits=8"}, true},
		{[]string{"permessage-deflate; server_max_window_bits=15"}, true},
		{[]string{`permessage-deflate; server_max_window_bits="15"`}, true},
		{[]string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, true},
		{[]string{"permessage-deflate; server_max_window_bits=10"}, false},
		{[]string{"permessage-deflate; server_max_window_bits=8; client_max_window_bits"}, false},
		{[]string{"permessage-deflate; server_max_window_bits"}, false},
		{[]string{"permessage-deflate; server_max_window_bits=16"}, false},
		{[]string{"permessage-deflate; client_max_window_bits=7"}, false},
		{[]string{"permessage-deflate; client_max_window_bits=010"}, false},
		{[]string{"permessage-deflate; server_no_context_takeover=1"}, false},
		{[]string{"permessage-deflate; client_no_context_takeover; client_no_context_takeover"}, false},
		{[]string{"permessage-deflate; x-unknown"}, false},
		{[]string{"permessage-deflate; x-unknown=1"}, false},
		{[]string{"x-webkit-deflate-frame"}, false},
		{[]string{"permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits"}, true},
		{[]string{"x-webkit-deflate-frame, permessage-deflate"}, true},
		{[]string{"permessage-deflate; server_max_window_bits=12", "permessage-deflate"}, true},
		{[]string{"permessage-deflate; server_max_window_bits=12", "permessage-deflate; foo"}, false},
	}
	eachH1(t, func(t *testing.T, m modes.Mode) {
		s := serveWS(t, m, websocket.Config{EnableCompression: true}, &echoAll{})
		for _, tc := range tests {
			var fields string
			for _, o := range tc.offers {
				fields += "Sec-WebSocket-Extensions: " + o + "\r\n"
			}
			rc := dialRawFields(t, s, "/ws", fields, nil)
			if ext := rc.resp.Header.Get("Sec-WebSocket-Extensions"); (ext != "") != tc.accept {
				t.Errorf("%q: Sec-WebSocket-Extensions: %q, want accepted %v", tc.offers, ext, tc.accept)
				continue
			}
			want := "1002"
			if tc.accept {
				want = "hello"
			}
			rc.nc.Write(hello)
			f, err := rc.next()
			got := string(f.Payload)
			if f.Opcode == wsframe.OpClose {
				code, _ := closeCode(f)
				got = strconv.Itoa(code)
			}
			if err != nil || got != want {
				t.Errorf("%q: a compressed message got opcode %d, %q (%v); want %s", tc.offers, f.Opcode, got, err, want)
			}
		}
	})
}

// The 101 answers the offer it accepts (RFC 7692 §7.1): always without
// context takeover either way, and with server_max_window_bits=15 when
// the offer asked for a window, as a server accepts that parameter by
// answering it (§7.1.2.1); an answer without it, which the server sent
// whatever the offer, is one a client may take for the offer declined.
// The answer is one field, for the offer accepted, not a declined one
// before it.
func TestCompressionAnswer(t *testing.T) {
	const plain = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	tests := []struct {
		offer, answer string
	}{
		{"permessage-deflate", plain},
		{"permessage-deflate; client_max_window_bits", plain},
		{"permessage-deflate; client_max_window_bits=9", plain},
		{"permessage-deflate; server_no_context_takeover", plain},
		{"permessage-deflate; server_max_window_bits=15", plain + "; server_max_window_bits=15"},
		{"permessage-deflate; client_max_window_bits; server_max_window_bits=15", plain + "; server_max_window_bits=15"},
		{"permessage-deflate; server_max_window_bits=10, permessage-deflate", plain},
		{"permessage-deflate; server_max_window_bits=10, permessage-deflate; server_max_window_bits=15", plain + "; server_max_window_bits=15"},
	}
	hello := withRSV(clientFrame(wsframe.OpText, compress(t, []byte("hello")), true), 0x40)
	eachH1(t, func(t *testing.T, m modes.Mode) {
		s := serveWS(t, m, websocket.Config{EnableCompression: true}, &echoAll{})
		for _, tc := range tests {
			rc := dialRawFields(t, s, "/ws", "Sec-WebSocket-Extensions: "+tc.offer+"\r\n", nil)
			if got := rc.resp.Header.Values("Sec-WebSocket-Extensions"); len(got) != 1 || got[0] != tc.answer {
				t.Errorf("%q: answered %q, want %q", tc.offer, got, tc.answer)
			}
			rc.nc.Write(hello)
			if f, err := rc.next(); err != nil || string(f.Payload) != "hello" {
				t.Errorf("%q: a compressed message got opcode %d, %q (%v); want the echo", tc.offer, f.Opcode, f.Payload, err)
			}
		}
	})
}

// Whether a connection compresses is what the handshake negotiated, and
// the 101 says it once: a Sec-WebSocket-Extensions the handler set under
// a key not in canonical form (a map assignment, as WebSocket code often
// spells it) neither goes out on the 101 nor turns compression on for a
// client that did not offer it.
func TestCompressionHandlerExtensions(t *testing.T) {
	msg := []byte(strings.Repeat("a compressible message. ", 20))
	tests := []struct {
		name   string
		fields string
		accept bool
	}{
		{"not offered", "", false},
		{"offered", "Sec-WebSocket-Extensions: permessage-deflate\r\n", true},
	}
	eachH1(t, func(t *testing.T, m modes.Mode) {
		c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
		c.HandleFunc("/ws", func(w api.Response, r *api.Request) error {
			w.Header()["Sec-WebSocket-Extensions"] = []string{"permessage-deflate; server_no_context_takeover"}
			_, err := websocket.Upgrade(w, r, websocket.Config{EnableCompression: true}, &echoAll{})
			return err
		})
		s := modes.Start(t, m, c)
		for _, tc := range tests {
			rc := dialRawFields(t, s, "/ws", tc.fields, nil)
			want := 0
			if tc.accept {
				want = 1
			}
			if got := rc.resp.Header.Values("Sec-WebSocket-Extensions"); len(got) != want {
				t.Errorf("%s: Sec-WebSocket-Extensions on the 101: %q, want %d", tc.name, got, want)
			}
			rc.send(wsframe.OpText, msg)
			f, err := rc.nextDeflate()
			if err != nil || f.Opcode != wsframe.OpText || f.Compressed != tc.accept {
				t.Errorf("%s: the echo: opcode %d, compressed %v (%v); want text, compressed %v", tc.name, f.Opcode, f.Compressed, err, tc.accept)
			}
		}
	})
}

// nextDeflate is next for a client that takes RSV1 for a compressed
// message, whatever the handshake said.
func (rc *rawClient) nextDeflate() (wsframe.Frame, error) { return rc.nextWith(wsframe.ParseDeflate) }

// broadcaster sends every message it gets to every connection it has
// opened, prepared once.
type broadcaster struct {
	mu     sync.Mutex
	conns  []*websocket.Conn
	opened chan struct{}
}

func (h *broadcaster) OnOpen(c *websocket.Conn) {
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
	h.opened <- struct{}{}
}

func (h *broadcaster) OnMessage(_ *websocket.Conn, m websocket.Message) {
	p, err := websocket.Prepare(m)
	if err != nil {
		panic(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.SendPrepared(p)
	}
}

func (h *broadcaster) OnClose(*websocket.Conn, error) {}

// A message prepared once reaches every client whole: compressed for one
// that negotiated compression, as it is for one that did not.
func TestSendPrepared(t *testing.T) {
	text := strings.Repeat("a broadcast, compressible. ", 1000)
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := &broadcaster{opened: make(chan struct{}, 2)}
		s := serveWS(t, m, websocket.Config{EnableCompression: true}, h)
		var n atomic.Int64
		deflating := dialDeflate(t, s, "/ws", &n)
		<-h.opened
		plain, resp, err := dialerFor(s, gws.Dialer{HandshakeTimeout: 10 * time.Second}).Dial(wsURL(s, "/ws"), nil)
		if err != nil {
			t.Fatalf("dial: %v (%v)", err, resp)
		}
		defer plain.Close()
		plain.SetReadDeadline(time.Now().Add(10 * time.Second))
		<-h.opened
		plain.WriteMessage(gws.TextMessage, []byte(text))
		before := n.Load()
		for i, ws := range []*gws.Conn{deflating, plain} {
			if kind, data, err := ws.ReadMessage(); err != nil || kind != gws.TextMessage || string(data) != text {
				t.Errorf("client %d: type %d, %d bytes (%v); want text, %d bytes", i, kind, len(data), err, len(text))
			}
		}
		if wire := n.Load() - before; m != modes.H1TLS && wire > int64(len(text)/10) {
			t.Errorf("the compressing client read %d bytes for a message of %d", wire, len(text))
		}
	})
}
