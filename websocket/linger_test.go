package websocket_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wsframe"
	"github.com/wharf-go/wharf/websocket"
)

// A server that stops reading (a protocol error, a message over
// ReadLimit) while the peer's bytes still wait in its socket does not
// reset the connection: the peer reads the close frame, then the end of
// the connection, not "connection reset" (which may destroy the close
// frame before the peer reads it).
func TestCloseWithUnreadInputLingers(t *testing.T) {
	junk := bytes.Repeat([]byte{0x55}, 32<<10) // more than one read takes
	tests := []struct {
		name     string
		cfg      websocket.Config
		first    []byte
		wantCode int
		want     error
	}{
		{"protocol error", websocket.Config{}, []byte{0x81, 0x02, 'h', 'i'}, websocket.CloseProtocolError, websocket.ErrProtocol},
		{"too big", websocket.Config{ReadLimit: 10}, clientFrame(wsframe.OpText, []byte("more than ten bytes"), true), websocket.CloseTooBig, websocket.ErrTooBig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				h := closeOnBye{closed: make(chan error, 1)}
				s := serveWS(t, m, tc.cfg, h)
				rc := dialRaw(t, s, "/ws")
				if _, err := rc.nc.Write(append(tc.first, junk...)); err != nil {
					t.Fatal(err)
				}
				f, err := rc.next()
				if err != nil || f.Opcode != wsframe.OpClose {
					t.Fatalf("got %v, %v; want the close frame", f, err)
				}
				if code, _ := closeCode(f); code != tc.wantCode {
					t.Errorf("close code %d, want %d", code, tc.wantCode)
				}
				if _, err := rc.next(); !errors.Is(err, io.EOF) {
					t.Errorf("after the close frame: %v, want io.EOF", err)
				}
				rc.nc.Close()
				if err := <-h.closed; !errors.Is(err, tc.want) {
					t.Errorf("OnClose(%v), want %v", err, tc.want)
				}
			})
		})
	}
}
