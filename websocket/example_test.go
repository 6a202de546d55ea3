package websocket_test

import (
	"context"
	"fmt"
	"net"
	"strings"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/websocket"
)

// shout answers each message in capitals.
type shout struct{ done chan struct{} }

func (shout) OnOpen(c *websocket.Conn) {}
func (shout) OnMessage(c *websocket.Conn, m websocket.Message) {
	c.Send(websocket.Text(strings.ToUpper(string(m.Data))))
}
func (s shout) OnClose(c *websocket.Conn, err error) { close(s.done) }

// An endpoint that upgrades its requests, after they went through the
// context's filters like any request.
func ExampleNewHandler() {
	h := shout{done: make(chan struct{})}
	c := container.New()
	c.Handle("/shout", websocket.NewHandler(websocket.Config{}, func(r *api.Request) (websocket.Handler, error) {
		return h, nil
	}))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	ws, _, err := gws.DefaultDialer.Dial("ws://"+l.Addr().String()+"/shout", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ws.WriteMessage(gws.TextMessage, []byte("hello"))
	_, m, _ := ws.ReadMessage()
	fmt.Println(string(m))
	ws.WriteMessage(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""))
	ws.ReadMessage()
	ws.Close()
	<-h.done
	// Output: HELLO
}
