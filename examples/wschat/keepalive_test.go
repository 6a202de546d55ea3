package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// lurkers connects n members with d to base, each read from as soon as it
// is in: lurkers in a chat room.
func lurkers(t testing.TB, d *gws.Dialer, base string, n int) *wharftest.ReceiveOnly {
	ms := new(wharftest.ReceiveOnly)
	ms.Dial(t, d, func(i int) string { return base + fmt.Sprintf("/ws?member=m%d", i) }, n, true)
	return ms
}

// Members who only read a quiet room stay over ten ping intervals at the
// default settings (30 s pings: five minutes, as long as IdleTimeout,
// which the pings keep from running out), in a synctest bubble.
func TestReceiveOnlyMembersStaySynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 100
		rm := newRoom()
		c := newContainer(rm)
		l := wharftest.NewPipeListener()
		served := make(chan struct{})
		go func() { defer close(served); c.Serve(l) }()

		ms := lurkers(t, &gws.Dialer{NetDialContext: l.Dial}, "ws://pipe", n)
		time.Sleep(10 * websocket.DefaultPingInterval)
		synctest.Wait()
		if lost, in := ms.Lost.Load(), rm.members(); lost != 0 || in != n {
			t.Errorf("after 10 ping intervals: %d members lost (first: %v), %d in the room", lost, ms.Why(), in)
		}
		ms.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-served
	})
}

// The same over real sockets at short settings (a ping every 500 ms,
// 1.5 s for its pong): 100 lurkers stay over ten ping intervals.
func TestReceiveOnlyMembersStayRealSockets(t *testing.T) {
	const n, ping = 100, 500 * time.Millisecond
	rm := newRoom()
	rm.config.PingInterval, rm.config.PongTimeout = ping, 3*ping
	base, _ := exampletest.Serve(t, newContainer(rm))
	ms := lurkers(t, &gws.Dialer{HandshakeTimeout: 10 * time.Second}, "ws"+strings.TrimPrefix(base, "http"), n)
	defer ms.Close()
	time.Sleep(10 * ping)
	if lost, in := ms.Lost.Load(), rm.members(); lost != 0 || in != n {
		t.Errorf("after 10 ping intervals: %d members lost (first: %v), %d in the room", lost, ms.Why(), in)
	}
}

// A graceful shutdown closes every member's connection with 1001 and
// returns once the close handshakes are done: 300 members all read 1001
// (none 1006, as they would if the program exited first), and the room
// is empty — every OnClose has run — when Shutdown returns.
func TestShutdownClosesMembersWith1001(t *testing.T) {
	const n = 300
	rm := newRoom()
	base, stop := exampletest.Serve(t, newContainer(rm))
	ms := lurkers(t, &gws.Dialer{HandshakeTimeout: 10 * time.Second}, "ws"+strings.TrimPrefix(base, "http"), n)
	wharftest.WaitFor(t, "every member to join", func() bool { return rm.members() == n })
	ms.Closing.Store(true)
	stop()
	if in := rm.members(); in != 0 {
		t.Errorf("Shutdown returned with %d members still in the room", in)
	}
	ms.Readers.Wait()
	if got := ms.Count(gws.CloseGoingAway); got != n {
		t.Errorf("%d of %d members read 1001; 1006: %d", got, n, ms.Count(gws.CloseAbnormalClosure))
	}
	for _, ws := range ms.Conns {
		ws.Close()
	}
}

// The same at the default settings (a ping every 30 s, 15 s for its pong)
// over real sockets for 100 s: more than three ping intervals, where the
// old ticker lost about half of its receive-only clients.
func TestReceiveOnlyMembersStay100s(t *testing.T) {
	if testing.Short() {
		t.Skip("100 s")
	}
	const n = 100
	rm := newRoom()
	base, _ := exampletest.Serve(t, newContainer(rm))
	ms := lurkers(t, &gws.Dialer{HandshakeTimeout: 10 * time.Second}, "ws"+strings.TrimPrefix(base, "http"), n)
	defer ms.Close()
	time.Sleep(100 * time.Second)
	if lost, in := ms.Lost.Load(), rm.members(); lost != 0 || in != n {
		t.Errorf("after 100 s: %d members lost (first: %v), %d in the room", lost, ms.Why(), in)
	}
}
