package main

import (
	"encoding/json"
	"sync"

	"github.com/wharf-go/wharf/websocket"
)

// message is what members receive: {"from": M, "text": T}; from is empty
// for the room's own notices.
type message struct {
	From string `json:"from"`
	Text string `json:"text"`
}

// room is the set of connected members. Broadcasts take its lock only to
// copy the set: sending never blocks (websocket.Conn.Send queues).
type room struct {
	mu      sync.Mutex
	members map[*websocket.Conn]string
	closed  bool
}

func newRoom() *room { return &room{members: make(map[*websocket.Conn]string)} }

// broadcast sends m to every member; one that cannot keep up is let go.
func (rm *room) broadcast(m message) {
	b, _ := json.Marshal(m)
	rm.mu.Lock()
	conns := make([]*websocket.Conn, 0, len(rm.members))
	for c := range rm.members {
		conns = append(conns, c)
	}
	rm.mu.Unlock()
	for _, c := range conns {
		if err := c.Send(websocket.Message{Data: b}); err == websocket.ErrQueueFull {
			c.Close(1008, "too slow")
		}
	}
}

// closeAll sends every member a close frame, for the server's shutdown.
func (rm *room) closeAll() {
	rm.mu.Lock()
	rm.closed = true
	conns := make([]*websocket.Conn, 0, len(rm.members))
	for c := range rm.members {
		conns = append(conns, c)
	}
	rm.mu.Unlock()
	for _, c := range conns {
		c.Close(websocket.CloseGoingAway, "server shutting down")
	}
}

// member is one connection's handler; its callbacks never overlap.
type member struct {
	room *room
	name string
}

func (m *member) OnOpen(c *websocket.Conn) {
	rm := m.room
	rm.mu.Lock()
	if rm.closed {
		rm.mu.Unlock()
		c.Close(websocket.CloseGoingAway, "server shutting down")
		return
	}
	rm.members[c] = m.name
	rm.mu.Unlock()
	rm.broadcast(message{Text: m.name + " joined"})
}

func (m *member) OnMessage(c *websocket.Conn, msg websocket.Message) {
	var in struct {
		Text string `json:"text"`
	}
	if msg.Binary || json.Unmarshal(msg.Data, &in) != nil {
		c.Close(1003, `send {"text": ...}`) // unsupported data
		return
	}
	m.room.broadcast(message{From: m.name, Text: in.Text})
}

func (m *member) OnClose(c *websocket.Conn, err error) {
	rm := m.room
	rm.mu.Lock()
	_, was := rm.members[c]
	delete(rm.members, c)
	rm.mu.Unlock()
	if was {
		rm.broadcast(message{Text: m.name + " left"})
	}
}
