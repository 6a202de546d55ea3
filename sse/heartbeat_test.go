package sse_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
)

// A silent stream stays silent no longer than Config.Heartbeat (give or
// take a tick's delay): it sends a comment every period, not every other
// one. (The heartbeat's own write is not the stream's traffic: counting it
// made the next tick skip the stream, so a silent stream spoke every two
// periods, and a Heartbeat chosen under a proxy's idle timeout was not.)
func TestHeartbeatEveryPeriod(t *testing.T) {
	const period = 300 * time.Millisecond
	b := newBroker(t, sse.Config{Heartbeat: period})
	s := serve(t, b)
	c := open(t, s, "/events/quiet", "")
	defer c.Close()
	start := c.Comments() // the opening comment
	time.Sleep(10*period + period/2)
	if got := c.Comments() - start; got < 8 {
		t.Errorf("%d heartbeats in 10 periods of silence, want about 10 (at least 8)", got)
	}
}

// The heartbeat's schedule, to the tick, in a synctest bubble (the
// container on in-memory pipes, the default period): a silent stream
// sends a comment every period from its opening on; one that wrote an
// event skips the next tick only, so it is silent for less than two
// periods. The comments and events are read off the wire with the time
// each arrived.
func TestHeartbeatScheduleSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const p = sse.DefaultHeartbeat // 15 s: the times below are its multiples
		b, err := sse.NewBroker(sse.Config{Log: sse.NewMemoryLog(0, sse.WithFirstID(1))})
		if err != nil {
			t.Fatal(err)
		}
		c := container.New()
		route(b)(c)
		l := wharftest.NewPipeListener()
		served := make(chan struct{})
		go func() { defer close(served); c.Serve(l) }()
		tr := &http.Transport{DialContext: l.Dial}
		start := time.Now()
		resp, err := (&http.Client{Transport: tr}).Get("http://pipe/events/t")
		if err != nil {
			t.Fatal(err)
		}
		// Each line but the blank ones, with the time it came, until the
		// stream ends.
		lines := make(chan string, 64)
		go func() {
			defer close(lines)
			br := bufio.NewReader(resp.Body)
			for {
				s, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if s != "\n" {
					lines <- fmt.Sprintf("%v %q", time.Since(start), s)
				}
			}
		}()
		go func() {
			time.Sleep(3*p + p/2)
			b.Publish("t", sse.Event{Data: "x"})
		}()
		time.Sleep(6*p + p/2)
		b.Close() // ends the stream: the reader sees its end
		var got []string
		for ln := range lines {
			got = append(got, ln)
		}
		want := []string{
			`0s ":\n"`, // the opening comment
			`15s ":\n"`,
			`30s ":\n"`,
			`45s ":\n"`,
			`52.5s "id: 1\n"`,
			`52.5s "data: x\n"`,
			// The tick at 60 s finds that the stream wrote: none then.
			`1m15s ":\n"`,
			`1m30s ":\n"`,
		}
		if !slices.Equal(got, want) {
			t.Errorf("the stream's lines, with the time each came:\n got %q\nwant %q", got, want)
		}
		resp.Body.Close()
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		<-served
	})
}
