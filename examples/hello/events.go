package main

import (
	"io"
	"net/http"
	"strconv"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/sse"
)

// maxEventData bounds the body of a POST /publish.
const maxEventData = 64 << 10

// handleEvents mounts the Server-Sent Events endpoints on c, on a broker
// of its own (an in-memory log; it holds no goroutine, and the
// container's shutdown ends its streams):
//
//	GET /events/{topic}    a stream of the topic's events
//	POST /publish/{topic}  publishes the body as one event's data (the
//	                       broker numbers it); answers 204
//
// The benchmark (bench/cmd/wharf-sseload) publishes its send time as the
// data and measures each delivery's latency from it.
func handleEvents(c *container.Container) *sse.Broker {
	b, err := sse.NewBroker(sse.Config{})
	if err != nil {
		panic(err) // the zero Config is valid
	}
	c.Handle("GET /events/{topic}", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		return b.Serve(w, r, r.PathParam("topic"))
	}))
	c.HandleFunc("POST /publish/{topic}", func(w api.Response, r *api.Request) error {
		data, err := io.ReadAll(io.LimitReader(r.Body(), maxEventData+1))
		if err != nil {
			return err
		}
		if len(data) > maxEventData {
			return api.Error(http.StatusRequestEntityTooLarge, "an event's data is at most "+strconv.Itoa(maxEventData)+" bytes")
		}
		if err := b.Publish(r.PathParam("topic"), sse.Event{Data: string(data)}); err != nil {
			return api.Error(http.StatusBadRequest, err.Error())
		}
		return w.SetStatus(http.StatusNoContent)
	})
	return b
}
