package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/natsembed"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// maxEventData bounds the body of a POST /publish.
const maxEventData = 64 << 10

// handleEvents mounts the Server-Sent Events endpoints on c, on a broker
// of its own over log (nil: an in-memory log, which holds no goroutine);
// the container's shutdown ends its streams:
//
//	GET /events/{topic}    a stream of the topic's events
//	POST /publish/{topic}  publishes the body as one event's data (the
//	                       broker numbers it); answers 204
//
// The benchmark (bench/cmd/wharf-sseload) publishes its send time as the
// data and measures each delivery's latency from it.
func handleEvents(c *container.Container, log sse.Log) *sse.Broker {
	b, err := sse.NewBroker(sse.Config{Log: log})
	if err != nil {
		panic(err) // a new log opens
	}
	var serve api.Handler = api.HandlerFunc(func(w api.Response, r *api.Request) error {
		return b.Serve(w, r, r.PathParam("topic"))
	})
	if log == nil {
		// Opening a stream never waits on the in-memory log, so it may run
		// on the goroutine that read the request. A shared log's replay
		// (Last-Event-ID) is a round trip to its broker, which would hold
		// up every connection of that selector while it lasts.
		serve = api.NonBlockingFunc(serve.Serve)
	}
	c.Handle("GET /events/{topic}", serve)
	c.HandleFunc("POST /publish/{topic}", func(w api.Response, r *api.Request) error {
		data, err := io.ReadAll(io.LimitReader(r.Body(), maxEventData+1))
		if err != nil {
			return err
		}
		if len(data) > maxEventData {
			return api.Error(http.StatusRequestEntityTooLarge, "an event's data is at most "+strconv.Itoa(maxEventData)+" bytes")
		}
		if err := b.Publish(r.PathParam("topic"), sse.Event{Data: string(data)}); err != nil {
			if errors.Is(err, sse.ErrInvalidTopic) || errors.Is(err, sse.ErrInvalidEvent) {
				return api.Error(http.StatusBadRequest, err.Error())
			}
			// The log refused it (its NATS broker out of reach or
			// behind, the Broker closed): the server's failure, not a
			// bad request, and one the client may retry.
			return &api.StatusError{Code: http.StatusServiceUnavailable, Err: err}
		}
		return w.SetStatus(http.StatusNoContent)
	})
	return b
}

// openEventLog returns the events' log the flags ask for: with natsURL,
// a JetStream stream shared with the other processes on that broker
// (package sse/natssse); with embed, the same on a broker this process
// starts at that address, its files in a temporary directory; else nil
// (an in-memory log). release closes the connection and stops the broker.
func openEventLog(natsURL, embed string) (log sse.Log, release func(), err error) {
	if natsURL != "" && embed != "" {
		return nil, nil, errors.New("-nats and -nats-embed exclude each other")
	}
	if natsURL == "" && embed == "" {
		return nil, func() {}, nil
	}
	var stops []func()
	release = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if embed != "" {
		dir, err := os.MkdirTemp("", "hello-jetstream-")
		if err != nil {
			return nil, nil, err
		}
		stops = append(stops, func() { os.RemoveAll(dir) })
		ns, err := natsembed.StartJetStream(embed, dir)
		if err != nil {
			release()
			return nil, nil, err
		}
		stops = append(stops, func() { ns.Shutdown(); ns.WaitForShutdown() })
		natsURL = ns.ClientURL()
	}
	// A server never gives up on its broker: nats.go's default stops
	// reconnecting after 60 tries, two minutes of outage.
	nc, err := nats.Connect(natsURL, nats.Name("wharf-hello"), nats.MaxReconnects(-1))
	if err != nil {
		release()
		return nil, nil, err
	}
	stops = append(stops, nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		release()
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := natssse.New(ctx, js, natssse.Config{})
	if err != nil {
		release()
		return nil, nil, err
	}
	stops = append(stops, func() { _ = l.Close() })
	return l, release, nil
}
