package natssse_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// Two instances share their streams through one NATS broker: an event
// published on A reaches a client of B, and a client that read an event
// on A resumes on B after it.
func Example() {
	dir, _ := os.MkdirTemp("", "natssse")
	defer os.RemoveAll(dir)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	go ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		fmt.Println("no broker")
		return
	}

	// instance starts one server: its own connection, log, broker and
	// container serving /events.
	instance := func() (*sse.Broker, string, func()) {
		nc, _ := nats.Connect(ns.ClientURL(), nats.MaxReconnects(-1)) // never give up: the default stops after 2 minutes
		js, _ := jetstream.New(nc)
		// FirstID: 1 only for an output that is the same every run:
		// by default the IDs start at the time the stream is made.
		l, err := natssse.New(context.Background(), js, natssse.Config{FirstID: 1})
		if err != nil {
			panic(err)
		}
		b, _ := sse.NewBroker(sse.Config{Log: l})
		c := container.New()
		c.Handle("GET /events", b.Handler("news"))
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		go c.Serve(ln)
		return b, "http://" + ln.Addr().String() + "/events", func() {
			c.Shutdown(context.Background())
			b.Close()
			nc.Close()
		}
	}
	a, _, stopA := instance()
	defer stopA()
	_, urlB, stopB := instance()
	defer stopB()

	onB, err := http.Get(urlB)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer onB.Body.Close()
	a.Publish("news", sse.Event{Data: "first"})
	a.Publish("news", sse.Event{Data: "second"})
	fmt.Println("B:", readEvents(bufio.NewReader(onB.Body), 2))

	// A client that read only the first event, on A, resumes on B.
	req, _ := http.NewRequest("GET", urlB, nil)
	req.Header.Set("Last-Event-ID", "1")
	resumed, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resumed.Body.Close()
	fmt.Println("resumed on B:", readEvents(bufio.NewReader(resumed.Body), 1))
	// Output:
	// B: [1 first 2 second]
	// resumed on B: [2 second]
}

// readEvents returns the IDs and data of the stream's next n events.
func readEvents(br *bufio.Reader, n int) []string {
	var out []string
	inEvent := false
	for n > 0 {
		line, err := br.ReadString('\n')
		if err != nil {
			break
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "id: "), strings.HasPrefix(line, "data: "):
			_, v, _ := strings.Cut(line, ": ")
			out = append(out, v)
			inEvent = true
		case line == "" && inEvent: // the end of an event, not of a comment
			inEvent = false
			n--
		}
	}
	return out
}

// The cluster mode's set-up, as docs/events.md shows it: one Log and one
// Broker per instance, on the instance's JetStream context, whose
// connection never gives up on the broker.
func Example_cluster() {
	open := func(ctx context.Context, url string) (*sse.Broker, error) {
		nc, err := nats.Connect(url, nats.MaxReconnects(-1)) // never give up: the default stops after 2 minutes
		if err != nil {
			return nil, err
		}
		js, err := jetstream.New(nc)
		if err != nil {
			return nil, err
		}
		l, err := natssse.New(ctx, js, natssse.Config{}) // stream WHARF_SSE, subjects sse.<topic>
		if err != nil {
			return nil, err
		}
		b, err := sse.NewBroker(sse.Config{Log: l})
		if err != nil {
			l.Close()
			return nil, err
		}
		return b, nil
	}
	_ = open
}
