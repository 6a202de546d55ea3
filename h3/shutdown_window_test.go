package h3_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request quic-go has handed to h3's handler, which the container has
// yet to count, is served with Shutdown waiting for it, or refused with
// H3_REQUEST_REJECTED so that its client may retry it: never left to run
// after Shutdown returned, when the process may be gone. Shutdown once
// saw the container idle, HTTP/3's part returning at once, and returned
// with the request about to run, on Serve and ServeTLS alike. The hooks
// hold the request where it is in the window: counted by h3 already
// (Shutdown waits, then it is served), or not yet (Shutdown returns, and
// it is refused). In "handoff" the request leaves the window while
// Shutdown runs, as quic-go's brief handoff does, and the UDP socket is
// closed as Shutdown returns, as a program's exit closes it: the client
// has its answer or its rejection by then, for Shutdown waits for
// quic-go's handlers (within a second) after its count, and a rejection
// sent only after Shutdown returned would leave with the process.
func TestShutdownRequestNotYetInContainer(t *testing.T) {
	for _, serve := range []string{"Serve", "ServeTLS"} {
		for _, held := range []string{"counted", "taken", "handoff"} {
			t.Run(serve+"/"+held, func(t *testing.T) {
				testShutdownWindow(t, serve, held)
			})
		}
	}
}

func testShutdownWindow(t *testing.T, serve, held string) {
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := devcert.Pool(cert)
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	defer c.Close()
	var ran atomic.Int32
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		ran.Add(1)
		_, err := io.WriteString(w, "hello")
		return err
	})

	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hold := func() {
		once.Do(func() { close(entered) })
		<-release
	}
	var cfg h3.Config
	if held == "counted" {
		cfg = h3.WithHandlerHooks(cfg, nil, hold)
	} else {
		cfg = h3.WithHandlerHooks(cfg, hold, nil)
	}
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseAll()

	served := make(chan error, 1)
	var pc net.PacketConn
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	if serve == "Serve" {
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		go func() { served <- h3.Serve(c, pc, tlsConfig, cfg) }()
	} else {
		var l net.Listener
		l, pc, err = h3.Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { served <- h3.ServeTLS(c, l, pc, tlsConfig, cfg) }()
	}
	addr := pc.LocalAddr().String()

	// A connection of its own, which does not retry a rejected request
	// as quic-go's Transport does: the test sees the rejection itself.
	ctx, cancel := context.WithTimeout(context.Background(), 3*wharftest.Patience)
	defer cancel()
	conn, err := quic.DialAddr(ctx, addr, &tls.Config{RootCAs: pool, NextProtos: []string{http3.NextProtoH3}, ServerName: "localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseWithError(0, "")
	cc := (&http3.Transport{}).NewClientConn(conn)
	got := make(chan string, 1)
	var gotErr error
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/hello", nil)
		resp, err := cc.RoundTrip(req)
		if err != nil {
			gotErr = err
			got <- ""
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- resp.Status + " " + string(b)
	}()
	select {
	case <-entered:
	case <-time.After(wharftest.Patience):
		t.Fatal("the request did not reach h3's handler")
	}

	shut := make(chan error, 1)
	go func() { shut <- c.Shutdown(ctx) }()
	wharftest.WaitFor(t, "Shutdown to begin", c.ShuttingDown)
	switch held {
	case "handoff":
		releaseAll()
		err := <-shut
		pc.Close() // the process exits
		shut <- err
		if g := <-got; g != "200 OK hello" && (g != "" || !rejected(gotErr)) {
			t.Errorf("the request handed over as Shutdown began got %q (%v) by the time Shutdown returned, want it served or H3_REQUEST_REJECTED", g, gotErr)
		}
	case "counted":
		// Shutdown must wait for the request: it returned within a
		// moment when it did not (a pass here under load proves less,
		// never a false failure).
		select {
		case err := <-shut:
			t.Errorf("Shutdown returned (%v) with a request h3 had taken still to reach the container", err)
			shut <- err
		case <-time.After(200 * time.Millisecond):
		}
		releaseAll()
		if g := <-got; g != "200 OK hello" {
			t.Errorf("the request held in the window got %q (%v), want it served", g, gotErr)
		}
	default:
		// No request is in: Shutdown returns, and the one held before h3
		// counted it is refused as it goes on.
		select {
		case err := <-shut:
			shut <- err
		case <-time.After(wharftest.Patience):
			t.Fatal("Shutdown waits for a request it is to refuse")
		}
		releaseAll()
		if g := <-got; g != "" || !rejected(gotErr) {
			t.Errorf("the request taken after Shutdown finished waiting got %q (%v), want H3_REQUEST_REJECTED", g, gotErr)
		}
		if n := ran.Load(); n != 0 {
			t.Errorf("the handler ran %d times after Shutdown returned", n)
		}
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
		t.Errorf("h3.%s returned %v", serve, err)
	}
}
