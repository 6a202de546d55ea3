package sse_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/sse"
)

// A stream per room: the handler picks the topic, any goroutine
// publishes, and every event goes out as soon as it is published.
func Example() {
	b, _ := sse.NewBroker(sse.Config{})
	defer b.Close()
	c := container.New()
	c.HandleFunc("GET /rooms/{room}/events", func(w api.Response, r *api.Request) error {
		return b.Serve(w, r, "room."+r.PathParam("room"))
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	resp, err := http.Get("http://" + l.Addr().String() + "/rooms/lobby/events")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.Header.Get("Content-Type"))
	// The stream is open once its head arrived: publish.
	b.Publish("room.lobby", sse.Event{Event: "join", Data: "ann"})
	b.Publish("room.lobby", sse.Event{Data: "hello\nall"})
	printEvents(bufio.NewReader(resp.Body), 2)
	// Output:
	// text/event-stream; charset=utf-8
	// id: 1
	// event: join
	// data: ann
	//
	// id: 2
	// data: hello
	// data: all
	//
}

// A client that reconnects with the last ID it received gets what it
// missed, then the live events.
func ExampleBroker_Serve_lastEventID() {
	b, _ := sse.NewBroker(sse.Config{})
	defer b.Close()
	c := container.New()
	c.Handle("GET /events", b.Handler("news"))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	for _, d := range []string{"a", "b", "c"} {
		b.Publish("news", sse.Event{Data: d})
	}
	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/events", nil)
	req.Header.Set("Last-Event-ID", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b.Publish("news", sse.Event{Data: "d"})
	printEvents(bufio.NewReader(resp.Body), 3)
	// Output:
	// id: 2
	// data: b
	//
	// id: 3
	// data: c
	//
	// id: 4
	// data: d
	//
}

// printEvents prints the stream's lines up to the end of its nth event,
// leaving out comments (the stream opens with one, and heartbeats are
// others).
func printEvents(br *bufio.Reader, n int) {
	for n > 0 {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		switch {
		case strings.HasPrefix(line, ":"):
			br.ReadString('\n') // the comment's blank line
		case line == "\n":
			fmt.Println()
			n--
		default:
			fmt.Print(line)
		}
	}
}
