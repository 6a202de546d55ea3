package websocket_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

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

// A handler of its own upgrades with response headers: the cookie it sets
// and the subprotocol it chooses among those the client offers go out on
// the 101.
func ExampleUpgrade() {
	c := container.New()
	c.HandleFunc("/feed", func(w api.Response, r *api.Request) error {
		w.Header().Set("Set-Cookie", "session=42; HttpOnly")
		for _, p := range websocket.Subprotocols(r) {
			if p == "feed.v2" || p == "feed.v1" {
				w.Header().Set("Sec-WebSocket-Protocol", p) // the client's first choice we speak
				break
			}
		}
		_, err := websocket.Upgrade(w, r, websocket.Config{}, shout{done: make(chan struct{})})
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	d := gws.Dialer{Subprotocols: []string{"feed.v3", "feed.v2", "feed.v1"}}
	ws, resp, err := d.Dial("ws://"+l.Addr().String()+"/feed", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ws.Close()
	fmt.Println(resp.Header.Get("Set-Cookie"))
	fmt.Println(ws.Subprotocol())
	// Output:
	// session=42; HttpOnly
	// feed.v2
}

// kick closes every connection at once with 1008, as a feed does with a
// client that cannot keep up.
type kick struct{}

func (kick) OnOpen(c *websocket.Conn)                     { c.CloseNow(websocket.ClosePolicyViolation, "too slow") }
func (kick) OnMessage(*websocket.Conn, websocket.Message) {}
func (kick) OnClose(*websocket.Conn, error)               {}

// CloseNow sends the close frame ahead of whatever is still queued: the
// peer reads it next.
func ExampleConn_CloseNow() {
	c := container.New()
	c.Handle("/feed", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return kick{}, nil }))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	ws, _, err := gws.DefaultDialer.Dial("ws://"+l.Addr().String()+"/feed", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ws.Close()
	_, _, err = ws.ReadMessage()
	if ce, ok := err.(*gws.CloseError); ok {
		fmt.Println(ce.Code, ce.Text)
	}
	// Output: 1008 too slow
}

// drop aborts every connection at once and reports what OnClose got.
type drop struct{ closed chan error }

func (drop) OnOpen(c *websocket.Conn)                     { c.Abort() }
func (drop) OnMessage(*websocket.Conn, websocket.Message) {}
func (d drop) OnClose(_ *websocket.Conn, err error)       { d.closed <- err }

// Abort drops the connection without a close frame: the client sees it
// end abnormally, and OnClose gets ErrAborted.
func ExampleConn_Abort() {
	h := drop{closed: make(chan error, 1)}
	c := container.New()
	c.Handle("/ws", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return h, nil }))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	ws, _, err := gws.DefaultDialer.Dial("ws://"+l.Addr().String()+"/ws", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ws.Close()
	_, _, err = ws.ReadMessage()
	fmt.Println("client:", gws.IsUnexpectedCloseError(err, gws.CloseNormalClosure, gws.CloseGoingAway))
	fmt.Println("server:", errors.Is(<-h.closed, websocket.ErrAborted))
	// Output:
	// client: true
	// server: true
}

// A graceful Shutdown closes the WebSockets with 1001 and returns once
// their close handshakes are done: the handler's OnClose has run.
func ExampleNewHandler_shutdown() {
	h := shout{done: make(chan struct{})}
	c := container.New()
	c.Handle("/shout", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return h, nil }))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)

	ws, _, err := gws.DefaultDialer.Dial("ws://"+l.Addr().String()+"/shout", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ws.Close()
	client := make(chan error, 1)
	go func() {
		_, _, err := ws.ReadMessage() // gorilla's client answers the close frame as it reads it
		client <- err
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.Shutdown(ctx)
	select {
	case <-h.done:
		fmt.Println("OnClose ran before Shutdown returned")
	default:
		fmt.Println("Shutdown returned first")
	}
	if ce, ok := (<-client).(*gws.CloseError); ok {
		fmt.Println(ce.Code, ce.Text)
	}
	// Output:
	// OnClose ran before Shutdown returned
	// 1001 server shutting down
}

// room keeps its open connections, for a broadcast.
type room struct {
	mu     sync.Mutex
	conns  []*websocket.Conn
	joined chan struct{}
}

func (r *room) OnOpen(c *websocket.Conn) {
	r.mu.Lock()
	r.conns = append(r.conns, c)
	r.mu.Unlock()
	r.joined <- struct{}{}
}
func (r *room) OnMessage(*websocket.Conn, websocket.Message) {}
func (r *room) OnClose(*websocket.Conn, error)               {}

// broadcast sends m to everyone in the room, prepared once: checked once,
// and compressed once for all the connections that accepted compression.
func (r *room) broadcast(m websocket.Message) error {
	p, err := websocket.Prepare(m)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.SendPrepared(p)
	}
	return nil
}

// A broadcast to a room where one client accepted compression and the
// other did not: each reads the message as sent.
func ExamplePrepare() {
	rm := &room{joined: make(chan struct{}, 2)}
	c := container.New()
	c.Handle("/room", websocket.NewHandler(websocket.Config{EnableCompression: true}, func(*api.Request) (websocket.Handler, error) {
		return rm, nil
	}))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	var clients []*gws.Conn
	for _, compress := range []bool{true, false} {
		d := gws.Dialer{EnableCompression: compress}
		ws, _, err := d.Dial("ws://"+l.Addr().String()+"/room", nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer ws.Close()
		clients = append(clients, ws)
		<-rm.joined
	}
	rm.broadcast(websocket.Text(strings.Repeat("news for everyone. ", 20)))
	for _, ws := range clients {
		_, m, err := ws.ReadMessage()
		fmt.Println(len(m), err)
	}
	// Output:
	// 380 <nil>
	// 380 <nil>
}

// farewell sends two messages and closes at once, as a handler that has
// said all it had to.
type farewell struct{}

func (farewell) OnOpen(c *websocket.Conn) {
	c.Send(websocket.Text("your report is ready"))
	c.Send(websocket.Text("nothing more today"))
	c.Close(websocket.CloseNormal, "bye")
}
func (farewell) OnMessage(*websocket.Conn, websocket.Message) {}
func (farewell) OnClose(*websocket.Conn, error)               {}

// Close lets what is queued go out first: the peer reads both messages,
// then the close frame; Done is closed once the handshake ended. (CloseNow
// would put the close frame ahead of them.)
func ExampleConn_Close() {
	opened := make(chan *websocket.Conn, 1)
	c := container.New()
	c.HandleFunc("/report", func(w api.Response, r *api.Request) error {
		conn, err := websocket.Upgrade(w, r, websocket.Config{}, farewell{})
		if err == nil {
			opened <- conn
		}
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	ws, _, err := gws.DefaultDialer.Dial("ws://"+l.Addr().String()+"/report", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ws.Close()
	for {
		_, m, err := ws.ReadMessage() // gorilla's client answers the close frame as it reads it
		if ce, ok := err.(*gws.CloseError); ok {
			fmt.Println("closed:", ce.Code, ce.Text)
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(m))
	}
	<-(<-opened).Done()
	fmt.Println("server side done")
	// Output:
	// your report is ready
	// nothing more today
	// closed: 1000 bye
	// server side done
}

// The server's Subprotocols choose among those the client offers, the
// server's order of preference first; Conn.Subprotocol tells the handler
// which was chosen.
func ExampleConfig_subprotocols() {
	chosen := make(chan string, 1)
	c := container.New()
	c.Handle("/feed", websocket.NewHandler(websocket.Config{Subprotocols: []string{"feed.v2", "feed.v1"}}, func(*api.Request) (websocket.Handler, error) {
		return subprotocolOf(chosen), nil
	}))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	for _, offer := range [][]string{{"feed.v1", "feed.v2"}, {"feed.v1"}, {"feed.v9"}} {
		d := gws.Dialer{Subprotocols: offer}
		ws, _, err := d.Dial("ws://"+l.Addr().String()+"/feed", nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("offered %v: client %q, server %q\n", offer, ws.Subprotocol(), <-chosen)
		ws.Close()
	}
	// Output:
	// offered [feed.v1 feed.v2]: client "feed.v2", server "feed.v2"
	// offered [feed.v1]: client "feed.v1", server "feed.v1"
	// offered [feed.v9]: client "", server ""
}

// subprotocolOf reports the subprotocol of each connection it opens.
type subprotocolOf chan string

func (s subprotocolOf) OnOpen(c *websocket.Conn)                   { s <- c.Subprotocol() }
func (subprotocolOf) OnMessage(*websocket.Conn, websocket.Message) {}
func (subprotocolOf) OnClose(*websocket.Conn, error)               {}
