package sse_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/sse"
)

// A stream per room: the handler picks the topic, any goroutine
// publishes, and every event goes out as soon as it is published.
func Example() {
	b, err := sse.NewBroker(sse.Config{}) // an in-memory log of 1,000 events per topic
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	c := container.New()
	c.HandleFunc("GET /rooms/{room}/events", func(w api.Response, r *api.Request) error {
		// authorize here, then:
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
	// event: join
	// data: ann
	//
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

	// PublishWait tells the ID the log gave the event: as if a client
	// received "a" and lost its connection.
	seen, _ := b.PublishWait(context.Background(), "news", sse.Event{Data: "a"})
	for _, d := range []string{"b", "c"} {
		b.Publish("news", sse.Event{Data: d})
	}
	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/events", nil)
	req.Header.Set("Last-Event-ID", seen)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b.Publish("news", sse.Event{Data: "d"})
	printEvents(bufio.NewReader(resp.Body), 3)
	// Output:
	// data: b
	//
	// data: c
	//
	// data: d
	//
}

// A log's IDs start above the time it was made, so that a client coming
// back after a restart with an ID of the log before is told it missed
// events, however many the new log has numbered since. A log numbered
// from the same ID in every process (WithFirstID) takes the old ID for
// one of its own and resumes the client after it, silently.
func ExampleNewMemoryLog() {
	ctx := context.Background()
	restart := func(opts ...sse.MemoryLogOption) {
		before := sse.NewMemoryLog(0, opts...) // the log of a process that ends
		before.Open(func(string, sse.Event) {})
		var seen uint64 // the last ID a client received
		for range 2 {
			seen, _ = before.AppendWait(ctx, "news", sse.Event{Data: "old"})
		}
		time.Sleep(time.Millisecond) // a restart takes longer than this

		after := sse.NewMemoryLog(0, opts...)
		after.Open(func(string, sse.Event) {})
		for range 3 {
			after.AppendWait(ctx, "news", sse.Event{Data: "new"})
		}
		evs, _, missed, _ := after.Since(ctx, "news", seen)
		fmt.Printf("missed %v, replayed %d of 3\n", missed, len(evs))
	}
	restart()
	restart(sse.WithFirstID(1))
	// Output:
	// missed true, replayed 3 of 3
	// missed false, replayed 1 of 3
}

// printEvents prints the stream's lines up to the end of its nth event,
// leaving out comments (the stream opens with one, and heartbeats are
// others) and the id: lines, whose numbers depend on the clock.
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
		case strings.HasPrefix(line, "id:"):
		default:
			fmt.Print(line)
		}
	}
}

// An event whose data names its own ID (a link a client follows, a
// record it stores under the ID) is built by PublishWaitFunc for the ID
// the log gives it, so that the two always agree. (WithFirstID numbers the
// log from 1 only for an output that is the same every run.)
func ExampleBroker_PublishWaitFunc() {
	b, _ := sse.NewBroker(sse.Config{Log: sse.NewMemoryLog(0, sse.WithFirstID(1))})
	defer b.Close()
	c := container.New()
	c.Handle("GET /orders/events", b.Handler("orders"))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	for range 2 {
		id, err := b.PublishWaitFunc(context.Background(), "orders", func(id string) (sse.Event, error) {
			return sse.Event{Event: "order", Data: `{"href":"/orders/` + id + `"}`}, nil
		})
		fmt.Println("published", id, err)
	}

	// A client that saw the first event gets the second, ID and data
	// agreeing.
	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/orders/events", nil)
	req.Header.Set("Last-Event-ID", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			fmt.Println(err)
			return
		}
		if strings.HasPrefix(line, ":") || line == "\n" {
			continue // the comment that opens the stream
		}
		fmt.Print(line)
		if strings.HasPrefix(line, "data:") {
			break
		}
	}
	// Output:
	// published 1 <nil>
	// published 2 <nil>
	// id: 2
	// event: order
	// data: {"href":"/orders/2"}
}

// A topic is often taken from the request's path: Serve answers 400 for
// one that cannot name a topic, and CheckTopic tells beforehand, for a
// handler that answers otherwise.
func ExampleCheckTopic() {
	for _, topic := range []string{"room.lobby", "room.lobby-2", "room..x", "room/lobby", "room.*"} {
		fmt.Printf("%q %v\n", topic, sse.CheckTopic(topic))
	}
	// Output:
	// "room.lobby" <nil>
	// "room.lobby-2" <nil>
	// "room..x" sse: invalid topic: "room..x"
	// "room/lobby" sse: invalid topic: "room/lobby"
	// "room.*" sse: invalid topic: "room.*"
}
