package connector_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A TLS connection lingering while the answer's last records wait for the
// socket (fdTLS.pend) closes as soon as its client ended its side and
// they went, its sending side shut behind them, not when the linger's
// timer fires: whichever came first, and whoever owns the connection as
// they come. The client reads every record whole, close_notify last,
// then the end.
//
// The linger is bounded by 5 s, so that a close at its timer is
// unmistakable from one at once. The orders:
//   - the client's end, read (the connection then idles for the rest),
//     before its reads let the selector send the rest at a writable edge;
//   - the rest sent, the sending side shut, before the client ends its
//     side: nothing waits when its end is read;
//   - both at once, the client ending its side as it begins to read: the
//     last of the rest may go in the event that brings its end;
//   - Shutdown, which owns the idle connection for a while (closeIfIdle),
//     reads the client's end while the rest waits; meanwhile the client
//     reads, and the selector, which cannot take the connection, sends the
//     rest, shuts the sending side and hears the hang-up that shut makes.
//     The connection turned idle after that, waiting for an edge that had
//     come, and closed at its timer, holding Shutdown 5 s.
func TestTLSLingerClosesOnceAllWent(t *testing.T) {
	const linger = 5 * time.Second
	tests := []struct {
		name     string
		shutdown bool // Shutdown reads the client's end (AtLingerEnd holds it there)
		end      func(t *testing.T, srv *connector.Server, l *lingerClient)
	}{
		{"end read, then the rest sent", false, func(t *testing.T, srv *connector.Server, l *lingerClient) {
			l.raw.(*net.TCPConn).CloseWrite()
			waitLinger(t, srv, "the client's end to be read", func(s connector.TLSLinger) bool {
				return s.Idle && s.ClientEnded && s.ShutWaits
			})
			l.readAnswers(t)
		}},
		{"the rest sent, then end read", false, func(t *testing.T, srv *connector.Server, l *lingerClient) {
			l.readAnswers(t)
			l.raw.(*net.TCPConn).CloseWrite()
		}},
		{"end and the rest together", false, func(t *testing.T, srv *connector.Server, l *lingerClient) {
			l.raw.(*net.TCPConn).CloseWrite()
			l.readAnswers(t)
		}},
		{"end read by Shutdown while the selector sends the rest", true, func(t *testing.T, srv *connector.Server, l *lingerClient) {
			l.raw.(*net.TCPConn).CloseWrite()
			waitLinger(t, srv, "the client's end to be read", func(s connector.TLSLinger) bool {
				return s.Idle && s.ClientEnded && s.ShutWaits
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// How much of the answers the sockets take varies: the
			// exchange is tried again until some were left waiting when
			// the connection lingered.
			for range 20 {
				if lingerEnds(t, linger, tt.shutdown, tt.end) {
					return
				}
			}
			t.Skip("the sockets took every answer in 20 connections: nothing waited when the connection lingered")
		})
	}
}

// lingerEnds serves one connection that lingers with records waiting (see
// startLinger), has end end it, and fails t unless the server closes it
// well before the linger's timer, at linger. It reports false if nothing
// waited when the connection lingered.
func lingerEnds(t *testing.T, linger time.Duration, shutdown bool, end func(*testing.T, *connector.Server, *lingerClient)) bool {
	t.Helper()
	ln, err := (&net.ListenConfig{Control: smallBuffer(syscall.SO_SNDBUF)}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var hold atomic.Bool // AtLingerEnd's next call stops until released
	atEnd, release := make(chan struct{}), make(chan struct{})
	cfg := connector.LingerFor(connector.Config{
		Logger:    wharftest.DiscardLogger(),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{mustCert(t, "localhost")}},
	}, linger)
	cfg = connector.AtLingerEnd(cfg, func() {
		if hold.CompareAndSwap(true, false) {
			close(atEnd)
			<-release
		}
	})
	srv := &connector.Server{Handler: &tlsHandler{}, Config: cfg}
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(ln, "", "") }()
	defer func() {
		srv.Close()
		if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("ServeTLS returned %v", err)
		}
	}()

	l := startLinger(t, srv, ln.Addr().String())
	defer l.raw.Close()
	if s, ok := connector.LingerTLS(srv); !ok || !s.ShutWaits {
		return false
	}
	end(t, srv, l)
	if !shutdown {
		start := time.Now()
		wharftest.WaitFor(t, "the connection to close", func() bool { return srv.Stats().Open == 0 })
		if d := time.Since(start); d > linger/2 {
			t.Fatalf("the connection closed %v after the client's end and the last record, want at once (the linger's timer: %v)", d, linger)
		}
		return true
	}

	hold.Store(true)
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	select {
	case <-atEnd:
	case <-time.After(wharftest.Patience):
		t.Fatal("Shutdown did not read the client's end")
	}
	l.readAnswers(t)
	waitLinger(t, srv, "the selector to send the rest, shut the sending side and hear the hang-up", func(s connector.TLSLinger) bool {
		return !s.Idle && !s.ShutWaits && s.Hungup
	})
	close(release)
	start := time.Now()
	select {
	case err := <-shut:
		if err != nil {
			t.Fatalf("Shutdown = %v", err)
		}
	case <-time.After(wharftest.Patience):
		t.Fatal("Shutdown did not return")
	}
	if d := time.Since(start); d > linger/2 {
		t.Fatalf("Shutdown returned %v after the client's end and the last record, want at once (the linger's timer: %v)", d, linger)
	}
	return true
}

// waitLinger waits until the lingering TLS connection of srv is as cond
// says.
func waitLinger(t *testing.T, srv *connector.Server, what string, cond func(connector.TLSLinger) bool) {
	t.Helper()
	wharftest.WaitFor(t, what, func() bool {
		s, ok := connector.LingerTLS(srv)
		return ok && cond(s)
	})
}
