package main

import (
	"encoding/json"
	"slices"
	"sync"

	"github.com/wharf-go/wharf/websocket"
)

// message is what members receive: {"room": R, "from": M, "text": T};
// from is empty for the room's own notices, and room is left out for the
// default room.
type message struct {
	Room string `json:"room,omitempty"`
	From string `json:"from"`
	Text string `json:"text"`
}

// room is the set of rooms and their members. Broadcasts take its lock only
// to copy a room's members: sending never blocks (websocket.Conn.Send
// queues).
type room struct {
	config websocket.Config // the members' connections'

	mu    sync.Mutex
	rooms map[string]map[*websocket.Conn]string // room name → member → name
}

func newRoom() *room {
	return &room{config: config, rooms: make(map[string]map[*websocket.Conn]string)}
}

// members returns how many connections are in the rooms.
func (rm *room) members() int {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	seen := make(map[*websocket.Conn]bool)
	for _, members := range rm.rooms {
		for c := range members {
			seen[c] = true
		}
	}
	return len(seen)
}

// broadcast sends m to every member of m.Room; one that cannot keep up is
// let go with 1008, its backlog dropped so that the close frame reaches it
// next.
func (rm *room) broadcast(m message) {
	b, _ := json.Marshal(m)
	rm.mu.Lock()
	members := rm.rooms[m.Room]
	conns := make([]*websocket.Conn, 0, len(members))
	for c := range members {
		conns = append(conns, c)
	}
	rm.mu.Unlock()
	for _, c := range conns {
		if err := c.Send(websocket.Message{Data: b}); err == websocket.ErrQueueFull {
			c.CloseNow(websocket.ClosePolicyViolation, "too slow")
		}
	}
}

// member is one connection's handler; its callbacks never overlap.
type member struct {
	room  *room
	name  string
	rooms []string // the rooms joined, [""] for the default room
}

func (m *member) OnOpen(c *websocket.Conn) {
	rm := m.room
	rm.mu.Lock()
	for _, r := range m.rooms {
		if rm.rooms[r] == nil {
			rm.rooms[r] = make(map[*websocket.Conn]string)
		}
		rm.rooms[r][c] = m.name
	}
	rm.mu.Unlock()
	for _, r := range m.rooms {
		rm.broadcast(message{Room: r, Text: m.name + " joined"})
	}
}

func (m *member) OnMessage(c *websocket.Conn, msg websocket.Message) {
	var in struct {
		Room string `json:"room"`
		Text string `json:"text"`
	}
	if msg.Binary || json.Unmarshal(msg.Data, &in) != nil || !slices.Contains(m.rooms, in.Room) {
		c.Close(websocket.CloseUnsupportedData, `send {"room": R, "text": T} for a room you joined`)
		return
	}
	m.room.broadcast(message{Room: in.Room, From: m.name, Text: in.Text})
}

func (m *member) OnClose(c *websocket.Conn, err error) {
	rm := m.room
	rm.mu.Lock()
	var left []string
	for _, r := range m.rooms {
		if _, ok := rm.rooms[r][c]; ok {
			delete(rm.rooms[r], c)
			left = append(left, r)
			if len(rm.rooms[r]) == 0 {
				delete(rm.rooms, r)
			}
		}
	}
	rm.mu.Unlock()
	for _, r := range left {
		rm.broadcast(message{Room: r, Text: m.name + " left"})
	}
}
