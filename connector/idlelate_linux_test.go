package connector_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A selector that comes back late to its events (its producer ran a long
// NonBlocking request, or the process was descheduled) finds its timerfd
// and sockets ready at once. A request that came on an idle connection
// before its idle timeout passed is served, not dropped unread as if it
// came too late: the timers fire for what was due when the selector took
// its events, after those events. Either the timerfd is ready behind the
// stall, or it was taken in the same batch as the stalling request (a
// second one, sent once the timerfd was ready).
func TestLateSelectorServesRequestThatCameInTime(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stalls int
	}{
		{"timerfd ready behind the stall", 1},
		{"timerfd in the stalled batch", 2},
	} {
		t.Run(tc.name, func(t *testing.T) { testLateSelector(t, tc.stalls) })
	}
}

func testLateSelector(t *testing.T, stalls int) {
	const idle = 400 * time.Millisecond
	until := func(at time.Time) { <-time.After(time.Until(at)) } // a lower bound: waiting longer proves the same
	entered, release := make([]chan struct{}, stalls), make([]chan struct{}, stalls)
	for i := range stalls {
		entered[i], release[i] = make(chan struct{}), make(chan struct{})
	}
	c := container.New(container.WithConnector(connector.Config{Selectors: 1, IdleTimeout: idle}), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	// Runs on the selector's producer (NonBlocking): while it holds it,
	// the selector looks at nothing.
	c.Handle("/stall", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		i, _ := strconv.Atoi(r.QueryValue("i"))
		close(entered[i])
		<-release[i]
		return nil
	}))
	addr := wharftest.Listen(t, c)
	freed := make([]bool, stalls)
	free := func(i int) {
		if !freed[i] {
			freed[i] = true
			close(release[i])
		}
	}
	t.Cleanup(func() { // before the server closes: it waits for them
		for i := range stalls {
			free(i)
		}
	})
	dial := func() (net.Conn, *bufio.Reader) {
		t.Helper()
		nc := wharftest.Dial(t, addr, 0)
		return nc, bufio.NewReader(nc)
	}
	// The stalling requests' connections, accepted and idle beforehand.
	xs := make([]net.Conn, stalls)
	stall := func(i int) {
		t.Helper()
		if _, err := io.WriteString(xs[i], "GET /stall?i="+strconv.Itoa(i)+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}

	// A turns idle first: its idle timeout passes first, and readies the
	// selector's timerfd ahead of B's request.
	a, abr := dial()
	if err := getHello(a, abr); err != nil {
		t.Fatal(err)
	}
	aIdle := time.Now()
	until(aIdle.Add(idle / 2))
	b, bbr := dial()
	bSent := time.Now() // B turns idle after this
	if err := getHello(b, bbr); err != nil {
		t.Fatal(err)
	}
	for i := range xs {
		x, xbr := dial()
		if err := getHello(x, xbr); err != nil {
			t.Fatal(err)
		}
		xs[i] = x
	}
	stall(0)
	<-entered[0]
	until(aIdle.Add(idle + idle/8)) // A's timeout passed: the timerfd is ready
	if stalls == 2 {
		stall(1) // ready behind the timerfd: the two come in one batch
		free(0)
		<-entered[1]
	}
	if time.Since(bSent) >= idle*7/8 {
		t.Skip("the test ran too slowly to send B's request before its idle timeout")
	}
	if _, err := io.WriteString(b, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	until(time.Now().Add(idle)) // B's timeout passed too, its request unread
	free(stalls - 1)

	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bbr, nil)
	if err != nil {
		t.Fatalf("B's request, sent before its idle timeout passed, was dropped unread: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "hello" {
		t.Fatalf("B: %d %q, want 200 %q", resp.StatusCode, body, "hello")
	}
}
