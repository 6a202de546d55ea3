package connector

import (
	"net"
	"time"

	"github.com/wharf-go/wharf/api"
)

// WaitConn is what a hand-over to HTTP/2 makes of t, a Tunnel of the epoll
// connector's: a net.Conn and a Waiter.
func WaitConn(t api.Tunnel) interface {
	net.Conn
	Waiter
	CloseWrite() error
} {
	return waitConnOf(t)
}

// WritesWaiting counts the Writes of c, a WaitConn, waiting for the socket.
func WritesWaiting(c net.Conn) int {
	wc := c.(*waitConn)
	wc.mu.Lock()
	defer wc.mu.Unlock()
	return wc.wwaiting
}

// HeldIdleTimers counts the epoll connections holding a suspended request
// (detached) that keep an idle timer. The timer is stopped before the
// connection is marked detached, as the read buffer is given back.
func HeldIdleTimers(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := s.conns.head; c != nil; c = c.lnext {
		f, ok := c.io.(*fdConn)
		if !ok || c.state() != connDetached {
			continue
		}
		f.Mu.Lock()
		if f.idleArmed {
			n++
		}
		f.Mu.Unlock()
	}
	return n
}

// BeforeHandshake returns cfg with f called on a TLS connection's
// handshake goroutine before its handshake is marked running.
func BeforeHandshake(cfg Config, f func()) Config {
	cfg.testHandshake = f
	return cfg
}

// BeforeListen returns cfg with f called by the epoll connector's Serve
// once its selectors run, before its listener joins one.
func BeforeListen(cfg Config, f func()) Config {
	cfg.testBeforeListen = f
	return cfg
}

// CountHeadReads returns cfg with f called before each read of a request
// head by the epoll connector.
func CountHeadReads(cfg Config, f func()) Config {
	cfg.testHeadRead = f
	return cfg
}

// LingerFor returns cfg with the epoll connector's lingering close bounded
// by d rather than by lingerTimeout.
func LingerFor(cfg Config, d time.Duration) Config {
	cfg.testLinger = d
	return cfg
}

// Lingering counts the epoll connections idle in a lingering close.
func Lingering(s *Server) int {
	n, _ := LingeringTLS(s)
	return n
}

// LingeringTLS counts the epoll connections idle in a lingering close
// and, of those over TLS, the bytes of records their sockets have not
// taken yet (fdTLS.pend). Their owner set lingering before turning them
// idle under the socket's Mu. pmu is taken once Mu is let go: a
// flushPending holds it while its writes take Mu.
func LingeringTLS(s *Server) (lingering, pending int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := s.conns.head; c != nil; c = c.lnext {
		f, ok := c.io.(*fdConn)
		if !ok {
			continue
		}
		f.Mu.Lock()
		idle := c.state() == connIdle && c.lingering
		f.Mu.Unlock()
		if !idle {
			continue
		}
		lingering++
		if f.tls != nil {
			f.tls.pmu.Lock()
			pending += len(f.tls.pend)
			f.tls.pmu.Unlock()
		}
	}
	return lingering, pending
}

// AtLingerEnd returns cfg with f called where a lingering TLS connection
// read its client's end while the answer's last records still wait for
// the socket, before it turns idle to wait for them: on the goroutine
// that owns the connection, the selector's or another (Shutdown's).
func AtLingerEnd(cfg Config, f func()) Config {
	cfg.testLingerEnd = f
	return cfg
}

// TLSLinger is what LingerTLS says of a TLS connection in a lingering
// close.
type TLSLinger struct {
	Idle        bool // waiting for an edge, or its timer
	ClientEnded bool // an event said the client ended its side (RDHUP)
	Hungup      bool // an event said both sides ended (HUP): this side's was shut
	ShutWaits   bool // the sending side is to be shut once pend went
	Pending     int  // the bytes of pend
}

// LingerTLS reports on the first of s's TLS connections in a lingering
// close, idle or not: false if none is.
func LingerTLS(s *Server) (TLSLinger, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := s.conns.head; c != nil; c = c.lnext {
		f, ok := c.io.(*fdConn)
		if !ok || f.tls == nil {
			continue
		}
		var l TLSLinger
		f.Mu.Lock()
		lingering := c.lingering
		l.Idle = c.state() == connIdle
		l.ClientEnded, l.Hungup = f.PeerClosed, f.Broken
		f.Mu.Unlock()
		if !lingering {
			continue
		}
		f.tls.pmu.Lock() // once Mu is let go, as in LingeringTLS
		l.ShutWaits, l.Pending = f.tls.shut, len(f.tls.pend)
		f.tls.pmu.Unlock()
		return l, true
	}
	return TLSLinger{}, false
}
