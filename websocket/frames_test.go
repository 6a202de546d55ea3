package websocket_test

import (
	"bytes"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

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
