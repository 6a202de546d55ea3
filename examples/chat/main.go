// Command chat is the Jetty 6 chat room, rebuilt on Wharf continuations: a
// long-poll chat where a waiting browser costs the server no goroutine.
//
// Each member polls GET /chat/poll. With nothing to say, the poll suspends
// its request (continuation.Suspend) and the handler returns; the request
// then waits holding no goroutine and no stack. When someone speaks
// (POST /chat/say), the message is queued for every member and every
// waiting poll is resumed; the resumed dispatch answers the queue. A poll
// that nobody resumes expires after its timeout and answers [].
//
// Endpoints (form values may be sent URL-encoded in the body or the query):
//
//	GET  /                                the chat page (static/index.html)
//	POST /chat/join   member=M            join; joining twice is fine
//	GET  /chat/poll?member=M[&timeout=ms] wait for messages (default 10 s,
//	                                      0..60000); answers [{"from","text"}...]
//	GET  /chat/events?member=M            the same messages as Server-Sent
//	                                      Events, for as long as M listens
//	POST /chat/say    member=M&text=T     send T to every member
//	POST /chat/leave  member=M            leave the room
//	GET  /chat/stats                      members here, their waiting polls,
//	                                      and the bus's counts
//
// GET /chat/events is the alternative to the poll: an event stream
// (text/event-stream, for an EventSource) on which each message is an
// event of the default type ("message"), one data line of its JSON as a
// poll answers it, and an ID, its number in this process's log (which
// numbers from the microseconds since 1970 at its start, so that a client
// that reconnects after a restart is not taken for one that saw the new
// log's events):
//
//	id: 1796515200000007
//	data: {"from":"ann","text":"hi"}
//
// A client that reconnects with Last-Event-ID gets what it missed (of the
// last 1,000 messages; before them, an event "missed" first). While a
// member has a stream open, its messages are not queued for its polls;
// once the stream is over they are again. The stream does not end when
// the member leaves: the page closes it.
//
// Usage:
//
//	go run ./examples/chat -addr 127.0.0.1:8080
//
// and open http://127.0.0.1:8080/ in a few browser windows. The server
// prints one line, "listening on http://ADDR", and shuts down gracefully on
// SIGINT or SIGTERM: waiting polls are expired and answer [].
//
// # One room over several processes
//
// Messages travel on a cluster.Bus. By default it is the in-process one.
// With -nats URL the process joins the room through a NATS broker, and
// with -nats-embed ADDR it starts a broker inside itself at ADDR and joins
// through that. Three processes, one room:
//
//	go run ./examples/chat -addr 127.0.0.1:8081 -nats-embed 127.0.0.1:4222
//	go run ./examples/chat -addr 127.0.0.1:8082 -nats nats://127.0.0.1:4222
//	go run ./examples/chat -addr 127.0.0.1:8083 -nats nats://127.0.0.1:4222
//
// A member belongs to the process it joined: its polls must go to that
// process, while what it says reaches the members of all three. If the
// broker goes away, messages still reach the members of the process where
// they were said. The others' copies are lost and counted (GET
// /chat/stats, "lost"), and say answers with a warning. Polls keep
// expiring on time.
package main

import (
	"errors"
	"flag"
	"log/slog"

	"github.com/wharf-go/wharf/cluster"
	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/examples/internal/cli"
	"github.com/wharf-go/wharf/internal/natsembed"
)

// command serves the container of app.go; the tests run it in-process.
var command = cli.Command{Name: "chat", Flags: func(fs *flag.FlagSet) cli.Builder {
	natsURL := fs.String("nats", "", "join the room through the NATS broker at this URL (nats://host:port)")
	embed := fs.String("nats-embed", "", "start a NATS broker in this process, listening at this host:port, and join the room through it")
	return func(opts ...container.Option) (*container.Container, func(), error) {
		bus, release, err := openBus(*natsURL, *embed)
		if err != nil {
			return nil, nil, err
		}
		rm, err := newRoomOn(bus, slog.Default())
		if err != nil {
			release()
			return nil, nil, err
		}
		// The broker closes after the container's shutdown has ended its
		// streams.
		return newContainer(rm, opts...), func() { rm.events.Close(); release() }, nil
	}
}}

// openBus returns the bus the flags ask for, and the function that closes
// it (and stops the embedded broker, if any).
func openBus(natsURL, embed string) (cluster.Bus, func(), error) {
	switch {
	case natsURL != "" && embed != "":
		return nil, nil, errors.New("-nats and -nats-embed exclude each other")
	case embed != "":
		broker, err := natsembed.Start(embed)
		if err != nil {
			return nil, nil, err
		}
		stop := func() { broker.Shutdown(); broker.WaitForShutdown() }
		bus, err := natsbus.Connect(natsbus.Config{URL: broker.ClientURL(), Name: "wharf-chat"})
		if err != nil {
			stop()
			return nil, nil, err
		}
		return bus, func() { bus.Close(); stop() }, nil
	case natsURL != "":
		bus, err := natsbus.Connect(natsbus.Config{URL: natsURL, Name: "wharf-chat"})
		if err != nil {
			return nil, nil, err
		}
		return bus, func() { bus.Close() }, nil
	}
	bus := cluster.NewLocal()
	return bus, func() { bus.Close() }, nil
}

func main() { command.Main() }
