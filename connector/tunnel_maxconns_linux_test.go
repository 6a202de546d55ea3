package connector_test

import (
	"bufio"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
)

// A Tunnel (a WebSocket on the epoll connector) counts against
// MaxConnections until it closes, as Config.MaxConnections says: with a
// limit of one and a Tunnel open, a new connection waits in the backlog,
// and is served once the Tunnel closes.
func TestMaxConnectionsCountsTunnel(t *testing.T) {
	got := make(chan taken, 1)
	take := takeTunnel(t, got)
	hello := rawHello{h: http.Header{}, body: []byte("hello")}
	h := tunHandler(func(s connector.Stream) {
		if s.Request().Path == "/tunnel" {
			take.ServeStream(s)
			return
		}
		hello.ServeStream(s)
	})
	ts := startTunServer(t, connector.Config{MaxConnections: 1}, h, false)
	tunConn := ts.dial(t)
	io.WriteString(tunConn, tunUpgrade)
	readSwitching(t, bufio.NewReader(tunConn))
	tun := receive(t, got)

	nc := ts.dial(t)
	br := bufio.NewReader(nc)
	io.WriteString(nc, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
	nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("a connection over the limit was served while the Tunnel was open")
	}
	tun.Close() // frees the slot
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the waiting connection, after the Tunnel closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
}
