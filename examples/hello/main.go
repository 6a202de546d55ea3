// Command hello is the smallest tour of Wharf: plain handlers, error
// returns, a blocking handler, a continuation that waits without holding a
// goroutine, a CPU-bound handler, and net/http/pprof mounted through the
// net/http adapter.
//
// Endpoints:
//
//	GET /hello?name=N   200 "Hello, N!" (N defaults to "world")
//	GET /sleep?ms=M     blocks the handler goroutine for M ms (0..60000)
//	GET /delay?ms=M     suspends the request for M ms with a continuation:
//	                    no goroutine is held while it waits
//	GET /cpu?n=N        N iterations of an xorshift loop (0..1e9, default
//	                    1000); answers the final state in decimal
//	GET /events/{topic} a Server-Sent Events stream of the topic (package
//	                    sse): no goroutine is held while it is open
//	POST /publish/{topic} publishes the body as an event of the topic
//	GET /debug/pprof/*  the net/http/pprof handlers, served by a private
//	                    http.ServeMux mounted with Context.Mount
//	GET /static/F       with -static DIR, the file DIR/F (package static;
//	                    the benchmark's static-file scenarios)
//
// Comparing /sleep and /delay under load (and looking at the goroutine
// profile in /debug/pprof/) shows the point of continuations: a delayed
// request is suspended and holds no goroutine while it waits, where a
// sleeping one holds its handler's goroutine and stack.
//
// Usage:
//
//	go run ./examples/hello -addr 127.0.0.1:8080 [-workers N] [-qos N -qos-wait D -qos-priority HEADER] [-static DIR]
//	    [-nats URL | -nats-embed HOST:PORT]  (/events' log in NATS JetStream, shared by the processes)
//	curl 'http://127.0.0.1:8080/hello?name=Wharf'
//
// The server prints one line, "listening on http://ADDR", and shuts down
// gracefully on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"strconv"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/examples/internal/cli"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/static"
)

// command serves the container of app.go; the tests run it in-process.
// -qos N puts the four endpoints behind a QoS filter: at most N requests
// in their handlers at once, the others waiting suspended (in arrival
// order) for up to -qos-wait, then answered 503. A /delay gives its place
// back while it waits suspended, as the filter does for any request that
// suspends (package qos), so it bounds the handlers' work, not the
// delays in progress.
var command = cli.Command{Name: "hello", Flags: func(fs *flag.FlagSet) cli.Builder {
	qosN := fs.Int("qos", 0, "at most N requests running the handlers of /hello, /sleep, /delay and /cpu at once (a /delay gives its place back while it waits); the others wait suspended (0 = off)")
	qosWait := fs.Duration("qos-wait", qos.DefaultMaxWait, "with -qos, how long a request may wait for its turn before it is answered 503")
	qosPriority := fs.String("qos-priority", "", "with -qos, a request header whose integer value ranks waiting requests (higher first)")
	staticDir := fs.String("static", "", "serve the files of DIR at /static/*")
	workers := fs.Int("workers", 0, "run requests on a bounded executor of N goroutines, queueing the rest (0: an unbounded one)")
	natsURL := fs.String("nats", "", "keep /events' log in a JetStream stream on the NATS broker at this URL, shared with other processes")
	natsEmbed := fs.String("nats-embed", "", "start a NATS broker with JetStream in this process, at this host:port, and keep /events' log there")
	return func(opts ...container.Option) (*container.Container, func(), error) {
		events, closeEvents, err := openEventLog(*natsURL, *natsEmbed)
		if err != nil {
			return nil, nil, err
		}
		release := closeEvents
		if *workers > 0 {
			ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: *workers, QueueSize: -1})
			opts = append(opts, container.WithExecutor(ex))
			release = func() { ex.Close(context.Background()); closeEvents() } // a given executor stays ours to close
		}
		c, broker := buildContainer(events, opts...)
		// The Broker closes its log, which needs the NATS connection and
		// the embedded broker that closeEvents stops after it.
		closeRest := release
		release = func() {
			_ = broker.Close()
			closeRest()
		}
		if *staticDir != "" {
			h, err := static.Dir(*staticDir, static.Config{})
			if err != nil {
				release()
				return nil, nil, err
			}
			c.Handle("/static/*", h)
			// The directory stays open until the container has shut down.
			prev := release
			release = func() {
				_ = h.Close()
				prev()
			}
		}
		if *qosN > 0 {
			var prio func(*api.Request) int
			if h := *qosPriority; h != "" {
				prio = func(r *api.Request) int { n, _ := strconv.Atoi(r.Header().Get(h)); return n }
			}
			f := qos.New(qos.Config{MaxRequests: *qosN, MaxWait: *qosWait, Priority: prio})
			for _, p := range []string{"/hello", "/sleep", "/delay", "/cpu"} {
				c.Filter(p, f)
			}
		}
		return c, release, nil
	}
}}

func main() { command.Main() }
