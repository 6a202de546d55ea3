package main

import (
	_ "embed"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/websocket"
)

//go:embed static/index.html
var indexHTML []byte

// maxMember is the longest member name, in characters.
const maxMember = 32

// newContainer builds the chat around rm: the page at "/", the room at
// "/ws" with rm.config. The container's Shutdown closes the members'
// connections with 1001 and waits for their close handshakes.
func newContainer(rm *room, opts ...container.Option) *container.Container {
	c := container.New(opts...)
	c.HandleFunc("", func(w api.Response, r *api.Request) error {
		api.SetContentType(w, "text/html; charset=utf-8")
		_, err := w.Write(indexHTML)
		return err
	})
	c.Handle("/ws", websocket.NewHandler(rm.config, rm.open))
	return c
}

// config is the members' WebSocket configuration: small messages, and a
// deep queue for the bursts of a busy room. The keep-alive (a ping every
// 30 s) finds the members who are gone; one who only reads a quiet room
// stays, as its pings keep its connection from being idle.
var config = websocket.Config{ReadLimit: 16 << 10, SendQueue: 1024}

// maxRooms is how many rooms one connection may join.
const maxRooms = 32

// open admits a member: the name must be there and not too long; rooms,
// if given, is a comma-separated list of up to 32 room names of up to 32
// characters (none: the default room).
func (rm *room) open(r *api.Request) (websocket.Handler, error) {
	m := r.QueryValue("member")
	if m == "" || utf8.RuneCountInString(m) > maxMember {
		return nil, api.Error(http.StatusBadRequest, "member must have 1 to 32 characters")
	}
	rooms := []string{""}
	if list := r.QueryValue("rooms"); list != "" {
		rooms = strings.Split(list, ",")
		slices.Sort(rooms)
		rooms = slices.Compact(rooms)
		if len(rooms) > maxRooms {
			return nil, api.Error(http.StatusBadRequest, "at most 32 rooms")
		}
		for _, n := range rooms {
			if n == "" || utf8.RuneCountInString(n) > maxMember {
				return nil, api.Error(http.StatusBadRequest, "room names must have 1 to 32 characters")
			}
		}
	}
	return &member{room: rm, name: m, rooms: rooms}, nil
}
