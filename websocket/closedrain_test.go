//go:build unix

package websocket_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/websocket"
)

// A live peer that reads a long backlog slowly, answering every ping,
// gets all of it after Close, though draining it takes longer than
// PingInterval + PongTimeout: Close "sends what is queued first".
func TestCloseDrainKeepsPinging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := backlog{close: true, closed: make(chan error, 1)}
		ws := dialPipe(t, websocket.Config{SendQueue: 64}, h)
		ws.SetReadLimit(1 << 30)
		got, err := readToClose(ws, 2*time.Second) // 32 messages: 64 s, pongs answered meanwhile
		var ce *gws.CloseError
		if got != 32 || !errors.As(err, &ce) || ce.Code != gws.CloseNormalClosure {
			t.Errorf("read %d messages, then %v; want 32, then close 1000", got, err)
		}
		if err := <-h.closed; err != nil {
			t.Errorf("OnClose(%v), want nil", err)
		}
	})
}
