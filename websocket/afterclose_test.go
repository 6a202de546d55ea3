//go:build unix

package websocket_test

import (
	"errors"
	"testing"
	"testing/synctest"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/websocket"
)

// After Close, OnMessage still gets what the peer sent before it read the
// close frame (RFC 6455 lets it send until then, and Jetty delivers such
// messages too), and Send returns ErrClosed for them, as Handler's doc
// says: a handler that ended a client for what it sent (1008) tells the
// messages that come after by that, rather than passing them on.
func TestMessagesAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &kicker{got: make(chan string, 8)}
		ws := dialPipe(t, websocket.Config{}, h)
		for _, m := range []string{"bad", "one", "two"} {
			if err := ws.WriteMessage(gws.TextMessage, []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		_, _, err := ws.ReadMessage()
		var ce *gws.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
			t.Fatalf("the client read %v, want close 1008", err)
		}
		for _, want := range []string{"bad: sent", "one: websocket: connection closed", "two: websocket: connection closed"} {
			if got := <-h.got; got != want {
				t.Errorf("OnMessage saw %q, want %q", got, want)
			}
		}
	})
}

// kicker ends the connection with 1008 at the first message, and says,
// for each message, what a Send in answer to it returned.
type kicker struct {
	got    chan string
	kicked bool
}

func (*kicker) OnOpen(*websocket.Conn) {}
func (k *kicker) OnMessage(c *websocket.Conn, m websocket.Message) {
	if !k.kicked {
		k.kicked = true
		c.Close(websocket.ClosePolicyViolation, "kicked")
		k.got <- string(m.Data) + ": sent"
		return
	}
	err := c.Send(websocket.Text("echo"))
	k.got <- string(m.Data) + ": " + errText(err)
}
func (*kicker) OnClose(*websocket.Conn, error) {}

func errText(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}
