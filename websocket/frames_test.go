package websocket_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
	"github.com/wharf-go/wharf/websocket"
)

// echoAll echoes every message, and records whether a callback ever ran
// on the epoll connector's selector.
type echoAll struct {
	nonBlocking bool
	onSelector  atomic.Int32
	messages    atomic.Int32
}

func (e *echoAll) OnOpen(*websocket.Conn) {}
func (e *echoAll) OnMessage(c *websocket.Conn, m websocket.Message) {
	e.messages.Add(1)
	buf := make([]byte, 64<<10)
	if strings.Contains(string(buf[:runtime.Stack(buf, false)]), "connector.(*selector)") {
		e.onSelector.Add(1)
	}
	c.Send(m)
}
func (e *echoAll) OnClose(*websocket.Conn, error) {}

// InvocationType says whether the handler declares it never blocks.
func (e *echoAll) InvocationType() api.InvocationType {
	if e.nonBlocking {
		return api.NonBlocking
	}
	return api.Blocking
}

// The reader reassembles what a peer may send: a frame right behind the
// handshake (in the same segment), a message in fragments with a ping
// between them (answered at once, ahead of the message), a message
// larger than the read buffer, frames split across writes at any byte;
// on both HTTP/1.1 connectors.
func TestFramesAsPeersSendThem(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := &echoAll{}
		s := serveWS(t, m, websocket.Config{}, h)
		rc := dialRawWith(t, s, "/ws", clientFrame(wsframe.OpText, []byte("first"), true))
		expect := func(op byte, want []byte) {
			t.Helper()
			f, err := rc.next()
			if err != nil || f.Opcode != op || !bytes.Equal(f.Payload, want) {
				t.Fatalf("got opcode %d, %d bytes (%v); want opcode %d, %d bytes", f.Opcode, len(f.Payload), err, op, len(want))
			}
		}
		expect(wsframe.OpText, []byte("first"))

		rc.sendFragment(wsframe.OpText, []byte("hel"), false)
		rc.send(wsframe.OpPing, []byte("p"))
		expect(wsframe.OpPong, []byte("p"))
		rc.sendFragment(wsframe.OpContinuation, []byte("lo "), false)
		rc.sendFragment(wsframe.OpContinuation, []byte("there"), true)
		expect(wsframe.OpText, []byte("hello there"))

		big := bytes.Repeat([]byte("0123456789abcdef"), 20<<10) // 320 KiB
		rc.send(wsframe.OpBinary, big)
		expect(wsframe.OpBinary, big)

		whole := clientFrame(wsframe.OpText, []byte("byte by byte"), true)
		for i := range whole {
			rc.nc.Write(whole[i : i+1])
		}
		expect(wsframe.OpText, []byte("byte by byte"))
	})
}

// A frame whose length is not in its minimal encoding (RFC 6455 §5.2
// asks the sender for the minimal one) is taken, as gorilla/websocket
// takes it: a text message of 10 bytes in a 16-bit or a 64-bit length,
// fragments so sent, a binary one over the read buffer in a 64-bit
// length. Such frames closed the connection with 1002.
func TestNonMinimalLengthAccepted(t *testing.T) {
	// frame is a masked frame whose length takes ext bytes (0, 2 or 8).
	frame := func(op byte, fin bool, ext int, payload []byte) []byte {
		b := []byte{op}
		if fin {
			b[0] |= 0x80
		}
		switch ext {
		case 0:
			b = append(b, 0x80|byte(len(payload)))
		case 2:
			b = binary.BigEndian.AppendUint16(append(b, 0x80|126), uint16(len(payload)))
		default:
			b = binary.BigEndian.AppendUint64(append(b, 0x80|127), uint64(len(payload)))
		}
		b = append(b, 1, 2, 3, 4)
		for i, c := range payload {
			b = append(b, c^byte(i&3+1))
		}
		return b
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<10) // 16 KiB, under 64 KiB
	tests := []struct {
		name   string
		frames [][]byte
		op     byte
		want   []byte
	}{
		{"16-bit", [][]byte{frame(wsframe.OpText, true, 2, []byte("ten bytes!"))}, wsframe.OpText, []byte("ten bytes!")},
		{"64-bit", [][]byte{frame(wsframe.OpText, true, 8, []byte("ten bytes!"))}, wsframe.OpText, []byte("ten bytes!")},
		{"empty", [][]byte{frame(wsframe.OpBinary, true, 2, nil)}, wsframe.OpBinary, []byte{}},
		{"fragments", [][]byte{
			frame(wsframe.OpText, false, 8, []byte("hel")),
			frame(wsframe.OpContinuation, false, 2, []byte("lo ")),
			frame(wsframe.OpContinuation, true, 0, []byte("there")),
		}, wsframe.OpText, []byte("hello there")},
		{"64-bit over the read buffer", [][]byte{frame(wsframe.OpBinary, true, 8, big)}, wsframe.OpBinary, big},
	}
	eachH1(t, func(t *testing.T, m modes.Mode) {
		s := serveWS(t, m, websocket.Config{}, &echoAll{})
		rc := dialRaw(t, s, "/ws")
		for _, tc := range tests {
			rc.nc.Write(bytes.Join(tc.frames, nil))
			f, err := rc.next()
			if err != nil || f.Opcode != tc.op || !bytes.Equal(f.Payload, tc.want) {
				code, reason := closeCode(f)
				t.Fatalf("%s: opcode %d, %d bytes, close %d %q (%v); want the echo, opcode %d, %d bytes",
					tc.name, f.Opcode, len(f.Payload), code, reason, err, tc.op, len(tc.want))
			}
		}
	})
}

// A Handler that declares api.NonBlocking has its callbacks run where
// the bytes were read: on the epoll connector, the selector's goroutine;
// a Blocking one never runs there.
func TestNonBlockingHandlerRunsOnSelector(t *testing.T) {
	for _, nb := range []bool{true, false} {
		h := &echoAll{nonBlocking: nb}
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		c.Handle("/ws", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return h, nil }))
		s := modes.Start(t, modes.H1, c)
		rc := dialRaw(t, s, "/ws")
		for i := range 20 {
			rc.send(wsframe.OpText, []byte("m"))
			if f, err := rc.next(); err != nil || string(f.Payload) != "m" {
				t.Fatalf("echo %d: %q, %v", i, f.Payload, err)
			}
		}
		on := h.onSelector.Load()
		switch {
		case nb && on == 0:
			t.Errorf("NonBlocking handler: none of 20 messages ran on the selector")
		case !nb && on != 0:
			t.Errorf("Blocking handler: %d of 20 messages ran on the selector", on)
		}
	}
}

// closeRecorder reports what OnClose got.
type closeRecorder struct{ closed chan error }

func (closeRecorder) OnOpen(*websocket.Conn)                       {}
func (closeRecorder) OnMessage(*websocket.Conn, websocket.Message) {}
func (h closeRecorder) OnClose(_ *websocket.Conn, err error)       { h.closed <- err }

// With a ReadLimit of "no limit" (math.MaxInt64), a header may claim a
// frame of nearly 2^63 bytes: the reader grows its buffer as the bytes
// come, and a peer that then goes away ends the connection as any other
// (ErrAbnormalClosure). The length added to the header's must not wrap
// negative: growing the buffer to it panicked (makeslice), which killed
// the process on the portable connector and left the connection open
// forever, OnClose never called, on the epoll one.
func TestHugeFrameLengthWithoutLimit(t *testing.T) {
	for _, length := range []uint64{1<<63 - 1, 1<<63 - 14, 1<<63 - 15} {
		t.Run(fmt.Sprint(length), func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				h := closeRecorder{closed: make(chan error, 1)}
				s := serveWS(t, m, websocket.Config{ReadLimit: math.MaxInt64}, h)
				rc := dialRaw(t, s, "/ws")
				hdr := binary.BigEndian.AppendUint64([]byte{0x80 | wsframe.OpBinary, 0x80 | 127}, length)
				hdr = append(hdr, 1, 2, 3, 4) // the mask key
				// More than the 4 KiB read buffer: the buffer must grow.
				rc.nc.Write(append(hdr, make([]byte, 10<<10)...))
				rc.nc.Close()
				select {
				case err := <-h.closed:
					if !errors.Is(err, websocket.ErrAbnormalClosure) {
						t.Errorf("OnClose(%v), want ErrAbnormalClosure", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("OnClose not called")
				}
			})
		})
	}
}

// A burst of pings is answered up to the last: pongs may wait while a
// write is under way (on a hijacked connection, whenever one is), and
// beyond the few kept it is the oldest that go, never the latest ping's
// answer (RFC 6455 §5.5.3 lets pings get one pong, the most recent's).
// The pongs that go out answer the pings in order, each with its payload.
func TestPingBurstLastAnswered(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		s := serveWS(t, m, websocket.Config{}, &echoAll{})
		rc := dialRaw(t, s, "/ws")
		const pings = 20
		var burst []byte
		for i := range pings {
			burst = append(burst, clientFrame(wsframe.OpPing, []byte(strconv.Itoa(i)), true)...)
		}
		// The echo of "end" is queued behind every pong the server keeps.
		burst = append(burst, clientFrame(wsframe.OpText, []byte("end"), true)...)
		rc.nc.Write(burst)
		last := -1
		for {
			f, err := rc.next()
			if err != nil {
				t.Fatalf("after pong %d: %v", last, err)
			}
			if f.Opcode == wsframe.OpText {
				break
			}
			n, err := strconv.Atoi(string(f.Payload))
			if f.Opcode != wsframe.OpPong || err != nil || n <= last || n >= pings {
				t.Fatalf("after pong %d: opcode %d, payload %q", last, f.Opcode, f.Payload)
			}
			last = n
		}
		if last != pings-1 {
			t.Errorf("the last pong answers ping %d; ping %d got none", last, pings-1)
		}
	})
}
