package main

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The Server-Sent Events endpoints, written the usual way for net/http: a
// goroutine per stream (the handler's own) that waits on a buffered
// channel of its own and writes and flushes each event through
// http.Flusher, and a hub that fans each published event out to the
// channels of its topic without waiting: a client whose channel is full
// is dropped (its handler returns, which ends the response).
//
//	GET /events/{topic}    a stream of the topic's events
//	POST /publish/{topic}  publishes the body as one event's data; 204
//
// Each topic numbers its events 1, 2, 3, ... (the id: field), as Wharf's
// broker does; the frame is encoded once and shared by every stream.

// Bounds shared with Wharf's sse.Broker defaults.
const (
	clientQueue  = 256              // events a stream may hold unwritten (sse.Config.MaxQueue)
	heartbeat    = 15 * time.Second // a comment line after this much silence (sse.Config.Heartbeat)
	maxEventData = 64 << 10
)

// client is one open stream.
type client struct {
	ch      chan []byte
	dropped chan struct{} // closed when the hub drops the client
}

// hub holds the streams of every topic.
type hub struct {
	mu     sync.Mutex
	topics map[string]*topic
}

type topic struct {
	seq     uint64
	clients map[*client]struct{}
}

func newHub() *hub { return &hub{topics: map[string]*topic{}} }

func (h *hub) subscribe(name string) *client {
	c := &client{ch: make(chan []byte, clientQueue), dropped: make(chan struct{})}
	h.mu.Lock()
	t := h.topics[name]
	if t == nil {
		t = &topic{clients: map[*client]struct{}{}}
		h.topics[name] = t
	}
	t.clients[c] = struct{}{}
	h.mu.Unlock()
	return c
}

func (h *hub) unsubscribe(name string, c *client) {
	h.mu.Lock()
	if t := h.topics[name]; t != nil {
		delete(t.clients, c)
	}
	h.mu.Unlock()
}

// publish numbers data in its topic and offers its frame to every client
// of the topic; a client whose queue is full is dropped.
func (h *hub) publish(name, data string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[name]
	if t == nil {
		t = &topic{clients: map[*client]struct{}{}}
		h.topics[name] = t
	}
	t.seq++
	frame := encode(t.seq, data)
	for c := range t.clients {
		select {
		case c.ch <- frame:
		default:
			delete(t.clients, c)
			close(c.dropped)
		}
	}
}

// encode frames one event: its id, then its data, one data: line per line.
func encode(id uint64, data string) []byte {
	b := make([]byte, 0, len(data)+32)
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, '\n')
	for {
		i := indexNewline(data)
		b = append(b, "data: "...)
		if i < 0 {
			b = append(append(b, data...), '\n')
			break
		}
		b = append(append(b, data[:i]...), '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(b, '\n')
}

func indexNewline(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return i
		}
	}
	return -1
}

// validTopic accepts what Wharf's sse.CheckTopic accepts: dot-separated
// tokens of letters, digits, '-' and '_', at most 255 bytes.
func validTopic(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	prevDot := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if prevDot {
				return false
			}
			prevDot = true
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		prevDot = false
	}
	return !prevDot
}

func (h *hub) serveEvents(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("topic")
	if !validTopic(name) {
		http.Error(w, "invalid topic", http.StatusBadRequest)
		return
	}
	f, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	c := h.subscribe(name)
	defer h.unsubscribe(name, c)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f.Flush()
	tick := time.NewTimer(heartbeat)
	defer tick.Stop()
	for {
		select {
		case frame := <-c.ch:
			if _, err := w.Write(frame); err != nil {
				return
			}
			f.Flush()
			tick.Reset(heartbeat)
		case <-tick.C:
			if _, err := io.WriteString(w, ":\n\n"); err != nil {
				return
			}
			f.Flush()
			tick.Reset(heartbeat)
		case <-c.dropped:
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (h *hub) servePublish(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("topic")
	if !validTopic(name) {
		http.Error(w, "invalid topic", http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxEventData+1))
	if err != nil {
		return
	}
	if len(data) > maxEventData {
		http.Error(w, "event data too large", http.StatusRequestEntityTooLarge)
		return
	}
	h.publish(name, string(data))
	w.WriteHeader(http.StatusNoContent)
}
