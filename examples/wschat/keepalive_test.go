package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// members are clients that join and then only read (and so answer pings,
// as gorilla's client does while it reads): lurkers in a chat room.
type members struct {
	conns   []*gws.Conn
	readers sync.WaitGroup
	leaving atomic.Bool // the test is closing them: what ends now is not lost
	lost    atomic.Int32
	first   atomic.Pointer[error]
	codes   sync.Map // close code → *atomic.Int32, for the ends the test did not ask for
}

// join connects n members with d to base, 10 at a time, each read from
// as soon as it is in.
func (ms *members) join(t testing.TB, d *gws.Dialer, base string, n int) {
	t.Helper()
	ms.conns = make([]*gws.Conn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, _, err := d.Dial(base+fmt.Sprintf("/ws?member=m%d", i), nil)
			if err != nil {
				errs <- err
				return
			}
			ms.conns[i] = ws
			ms.readers.Add(1)
			go ms.read(ws)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("join: %v", err)
	}
}

func (ms *members) read(ws *gws.Conn) {
	defer ms.readers.Done()
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}
		code := gws.CloseAbnormalClosure
		var ce *gws.CloseError
		if errors.As(err, &ce) {
			code = ce.Code
		}
		n, _ := ms.codes.LoadOrStore(code, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		if !ms.leaving.Load() {
			ms.lost.Add(1)
			ms.first.CompareAndSwap(nil, &err)
		}
		return
	}
}

// count returns how many members' connections ended with code.
func (ms *members) count(code int) int {
	n, ok := ms.codes.Load(code)
	if !ok {
		return 0
	}
	return int(n.(*atomic.Int32).Load())
}

func (ms *members) why() error {
	if p := ms.first.Load(); p != nil {
		return *p
	}
	return nil
}

// leave closes every member with a close handshake and waits for them.
func (ms *members) leave() {
	ms.leaving.Store(true)
	for _, ws := range ms.conns {
		if ws != nil {
			ws.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""), time.Now().Add(5*time.Second))
		}
	}
	ms.readers.Wait()
	for _, ws := range ms.conns {
		if ws != nil {
			ws.Close()
		}
	}
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

		var ms members
		ms.join(t, &gws.Dialer{NetDialContext: l.Dial}, "ws://pipe", n)
		time.Sleep(10 * websocket.DefaultPingInterval)
		synctest.Wait()
		if lost, in := ms.lost.Load(), rm.members(); lost != 0 || in != n {
			t.Errorf("after 10 ping intervals: %d members lost (first: %v), %d in the room", lost, ms.why(), in)
		}
		ms.leave()
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
	var ms members
	ms.join(t, &gws.Dialer{HandshakeTimeout: 10 * time.Second}, "ws"+strings.TrimPrefix(base, "http"), n)
	defer ms.leave()
	time.Sleep(10 * ping)
	if lost, in := ms.lost.Load(), rm.members(); lost != 0 || in != n {
		t.Errorf("after 10 ping intervals: %d members lost (first: %v), %d in the room", lost, ms.why(), in)
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
	var ms members
	ms.join(t, &gws.Dialer{HandshakeTimeout: 10 * time.Second}, "ws"+strings.TrimPrefix(base, "http"), n)
	wharftest.WaitFor(t, "every member to join", func() bool { return rm.members() == n })
	ms.leaving.Store(true)
	stop()
	if in := rm.members(); in != 0 {
		t.Errorf("Shutdown returned with %d members still in the room", in)
	}
	ms.readers.Wait()
	if got := ms.count(gws.CloseGoingAway); got != n {
		t.Errorf("%d of %d members read 1001; 1006: %d", got, n, ms.count(gws.CloseAbnormalClosure))
	}
	for _, ws := range ms.conns {
		ws.Close()
	}
}
