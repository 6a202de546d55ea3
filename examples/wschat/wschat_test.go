package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// join connects as member and returns the connection.
func join(t *testing.T, base, member string) *gws.Conn {
	t.Helper()
	ws, resp, err := gws.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws?member="+member, nil)
	if err != nil {
		t.Fatalf("join %s: %v (%v)", member, err, resp)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// next reads messages until one from a member (not a notice) arrives.
func next(t *testing.T, ws *gws.Conn) message {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m message
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.From != "" {
			return m
		}
	}
}

// What one member says reaches every member, the sender too, in order.
func TestRoom(t *testing.T) {
	base, _ := exampletest.Serve(t, newContainer(newRoom()))
	names := []string{"ann", "bob", "cy"}
	conns := make([]*gws.Conn, len(names))
	for i, n := range names {
		conns[i] = join(t, base, n)
	}
	// A member is in the room once it heard its own join notice (members
	// join in whatever order their OnOpen runs, and miss what was said
	// before).
	for i, n := range names {
		conns[i].SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			var m message
			if err := conns[i].ReadJSON(&m); err != nil {
				t.Fatal(err)
			}
			if m == (message{Text: n + " joined"}) {
				break
			}
		}
	}
	for i, n := range names {
		if err := conns[i].WriteJSON(map[string]string{"text": "hi from " + n}); err != nil {
			t.Fatal(err)
		}
		for j := range names {
			if got := next(t, conns[j]); got != (message{From: n, Text: "hi from " + n}) {
				t.Fatalf("%s got %+v", names[j], got)
			}
		}
	}

	// A member who breaks the protocol is closed with 1003.
	conns[1].WriteMessage(gws.TextMessage, []byte("not json"))
	conns[1].SetReadDeadline(time.Now().Add(10 * time.Second))
	var err error
	for err == nil {
		_, _, err = conns[1].ReadMessage()
	}
	var ce *gws.CloseError
	if !errors.As(err, &ce) || ce.Code != gws.CloseUnsupportedData {
		t.Fatalf("after bad input: %v", err)
	}
	// ... and the others hear that bob left.
	conns[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m message
		if err := conns[0].ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m == (message{Text: "bob left"}) {
			break
		}
	}
}

// A missing or too long member name is refused before any upgrade.
func TestBadMember(t *testing.T) {
	base, _ := exampletest.Serve(t, newContainer(newRoom()))
	for _, q := range []string{"", "member=", "member=" + strings.Repeat("x", 33)} {
		_, resp, err := gws.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws?"+q, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%q: %v, %v; want 400", q, resp, err)
		}
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
}

// The command in-process, over TLS: members chat, and a graceful shutdown
// sends them a close frame (1001).
func TestRunTLS(t *testing.T) {
	base, stop := exampletest.RunCommand(t, command.Run, "-tls")
	d := gws.Dialer{TLSClientConfig: insecure()}
	ws, _, err := d.Dial("wss"+strings.TrimPrefix(base, "https")+"/ws?member=ann", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(map[string]string{"text": "over TLS"})
	if got := next(t, ws); got != (message{From: "ann", Text: "over TLS"}) {
		t.Fatalf("got %+v", got)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for err == nil {
		_, _, err = ws.ReadMessage()
	}
	var ce *gws.CloseError
	if !errors.As(err, &ce) || ce.Code != gws.CloseGoingAway {
		t.Fatalf("at shutdown: %v", err)
	}
	ws.Close()
	if err := <-stopped; err != nil {
		t.Fatalf("run returned %v", err)
	}
}

func insecure() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }

// With rooms, a message reaches the members of its room only.
func TestRooms(t *testing.T) {
	base, _ := exampletest.Serve(t, newContainer(newRoom()))
	dial := func(member, rooms string) *gws.Conn {
		ws, resp, err := gws.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws?member="+member+"&rooms="+rooms, nil)
		if err != nil {
			t.Fatalf("%s: %v (%v)", member, err, resp)
		}
		t.Cleanup(func() { ws.Close() })
		return ws
	}
	// wait reads until want arrives.
	wait := func(ws *gws.Conn, want message) {
		t.Helper()
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			var m message
			if err := ws.ReadJSON(&m); err != nil {
				t.Fatalf("waiting for %+v: %v", want, err)
			}
			if m == want {
				return
			}
		}
	}
	ann, bob, cy := dial("ann", "a,b"), dial("bob", "b"), dial("cy", "c")
	wait(ann, message{Room: "a", Text: "ann joined"})
	wait(bob, message{Room: "b", Text: "bob joined"})
	wait(cy, message{Room: "c", Text: "cy joined"})
	ann.WriteJSON(message{Room: "b", Text: "to b"})
	wait(ann, message{Room: "b", From: "ann", Text: "to b"})
	wait(bob, message{Room: "b", From: "ann", Text: "to b"})
	// cy, in room c only, gets nothing of it: the next thing it sees is
	// its own message.
	cy.WriteJSON(message{Room: "c", Text: "to c"})
	cy.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m message
	if err := cy.ReadJSON(&m); err != nil || m != (message{Room: "c", From: "cy", Text: "to c"}) {
		t.Fatalf("cy got %+v, %v", m, err)
	}
	// A room one has not joined is refused.
	bob.WriteJSON(message{Room: "a", Text: "sneak"})
	var err error
	for err == nil {
		_, _, err = bob.ReadMessage()
	}
	var ce *gws.CloseError
	if !errors.As(err, &ce) || ce.Code != gws.CloseUnsupportedData {
		t.Fatalf("posting to a room not joined: %v", err)
	}
	many := make([]string, 40)
	for i := range many {
		many[i] = fmt.Sprintf("r%d", i)
	}
	for _, q := range []string{"rooms=,", "rooms=" + strings.Join(many, ",")} {
		_, resp, err := gws.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws?member=x&"+q, nil)
		if err == nil || resp == nil || resp.StatusCode != 400 {
			t.Errorf("%s: %v %v, want 400", q, resp, err)
		}
	}
}
