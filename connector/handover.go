package connector

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/h1"
)

// The hand-over seam: where a connection leaves HTTP/1.1 for another
// protocol that the connector serves (Hijack gives one to a handler
// instead). The connector recognises three cases and nothing
// more: TLS whose ALPN chose "h2", a cleartext connection (Config.H2C)
// that opens with the HTTP/2 preface, and a first cleartext request that
// Protocol.CanUpgrade accepts ("Upgrade: h2c"). It then gives the
// connection, with everything it read and knows, to Config.HTTP2 as a
// Handover; package connector/http2 implements Protocol, and
// container.New plugs it in. Package connector never imports it.

// Protocol serves connections that the connector hands over.
type Protocol interface {
	// CanUpgrade reports whether req, the first request of a cleartext
	// connection and one without a body, asks to switch to this protocol
	// (HTTP/2: "Upgrade: h2c" with its HTTP2-Settings). If so, the
	// connection is handed over with req as Handover.Upgrade, unanswered.
	CanUpgrade(req *api.RequestHead) bool
	// ServeConn serves the connection until it ends, and calls
	// h.Books.Close then. It owns h.Conn from the start. It may return
	// before the end when h.Conn is a Waiter: the connection then goes on
	// from the Waiter's callbacks, holding no goroutine while it waits.
	ServeConn(h *Handover)
}

// A Handover is a connection the connector gives to a Protocol, with the
// facts the protocol needs to serve it as the connector would.
type Handover struct {
	// Conn is the connection: writes, deadlines and closing go to it.
	Conn net.Conn
	// Reader reads Conn, starting with the bytes the connector read past
	// what it consumed (the HTTP/2 preface, when the client opened with
	// it). It does not buffer. When Conn is a Waiter, Reader reads as
	// TryRead does: api.ErrWouldBlock when nothing is there.
	Reader io.Reader
	// Upgrade is the request that asked to switch (CanUpgrade), still to
	// be answered: its 101 is the protocol's to write. Nil otherwise.
	Upgrade *api.RequestHead
	// Info is the connection's addresses and TLS state, as the HTTP/1.1
	// requests on it carried them: the protocol's requests point at it
	// too, and nobody modifies it.
	Info *api.ConnInfo

	// Limits are the server's Config limits and timeouts, defaults
	// applied.
	Limits Limits
	// Logger receives connection-level errors.
	Logger *slog.Logger
	// Handler serves the requests.
	Handler Handler
	// Execute runs a task on the server's executor (a refused one on a
	// goroutine of its own, rather than strand a request).
	Execute func(dispatcher.Task)
	// Books is the connection's entry in the server's books.
	Books Books
}

// Books is a handed-over connection's entry in the server's books: it is
// counted in Stats and against MaxConnections until Close, and Shutdown
// and Close reach it through Track.
//
// Track and Close may be called from any goroutine (the server's books are
// under its lock, and Close closes the connection once). Shutdown calls
// goAway on its own goroutine, with that lock held: goAway must not call
// Track or Close.
type Books interface {
	// Track registers the connection: Shutdown calls goAway (which must
	// not block: the protocol says it will take no new requests, and ends
	// once those it took are done), Close closes Conn. It returns false,
	// registering nothing, when the server is shutting down already.
	Track(goAway func()) bool
	// Close closes Conn and takes the connection out of the books. Calls
	// after the first do nothing.
	Close()
}

// Limits are a Config's limits and timeouts with every default applied.
// A timeout that is none is NoTimeout, so that every protocol may add any
// of them to the time: a negative one put a deadline in the past, which
// failed every wait at once.
type Limits struct {
	MaxHeaderBytes    int   // Config.MaxHeaderBytes
	MaxHeaders        int   // Config.MaxHeaders
	MaxURILength      int   // Config.MaxURILength
	MaxBodyBytes      int64 // Config.MaxBodyBytes; -1: no limit
	MaxDiscardBytes   int64 // Config.MaxDiscardBytes
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	ReadBodyTimeout   time.Duration // 0: none
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	DiscardTimeout    time.Duration
	// MinRequestDataRate and MinResponseDataRate are in bytes per second;
	// 0: none (so are both when Config.DataRateGrace is negative).
	MinRequestDataRate  int64
	MinResponseDataRate int64
	DataRateGrace       time.Duration
}

// Limits returns the configuration's limits and timeouts with every
// default applied.
func (c *Config) Limits() Limits {
	lim := Limits{
		MaxHeaderBytes:    positive(c.MaxHeaderBytes, h1.DefaultMaxHeaderBytes),
		MaxHeaders:        positive(c.MaxHeaders, h1.DefaultMaxHeaders),
		MaxURILength:      positive(c.MaxURILength, h1.DefaultMaxURILength),
		MaxBodyBytes:      max(or(c.MaxBodyBytes, DefaultMaxBodyBytes), -1),
		MaxDiscardBytes:   or(c.MaxDiscardBytes, DefaultMaxDiscardBytes),
		ReadHeaderTimeout: timeout(c.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       timeout(c.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      timeout(c.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       timeout(c.IdleTimeout, DefaultIdleTimeout),
		ReadBodyTimeout:   min(max(c.ReadBodyTimeout, 0), NoTimeout),
		DiscardTimeout:    timeout(c.DiscardTimeout, DefaultDiscardTimeout),

		MinRequestDataRate:  max(or(c.MinRequestDataRate, DefaultMinRequestDataRate), 0),
		MinResponseDataRate: max(or(c.MinResponseDataRate, DefaultMinResponseDataRate), 0),
		DataRateGrace:       timeout(c.DataRateGrace, DefaultDataRateGrace),
	}
	if lim.DataRateGrace == NoTimeout {
		// Waiting that never runs out of grace: no rate ever applies.
		lim.MinRequestDataRate, lim.MinResponseDataRate = 0, 0
	}
	return lim
}

// handoverPreface is how the HTTP/2 connection preface begins; as an
// HTTP/1.1 head it is a complete one that fails to parse.
var handoverPreface = []byte("PRI * HTTP/2.0\r\n\r\n")

// wantsUpgrade reports whether s, the first request of a connection that
// may switch (h2cEnabled), asks to switch to Config.HTTP2 (see
// Protocol.CanUpgrade).
func (c *conn) wantsUpgrade(s *stream) bool {
	if s.req.ContentLength != 0 || s.body.kind != bodyNone {
		return false // the body would have to be read whole before switching
	}
	return c.srv.Config.HTTP2.CanUpgrade(&s.req)
}

// h2cEnabled reports whether a cleartext connection may open with the
// HTTP/2 preface.
func (c *conn) h2cEnabled() bool {
	return c.srv.Config.H2C && c.srv.Config.HTTP2 != nil && c.info.TLS == nil
}

// handOver gives the connection to Config.HTTP2. upgrade is the request
// that asked to switch, or nil. The connection's goroutine becomes the
// protocol's.
func (c *conn) handOver(upgrade *stream) {
	var h *Handover
	ev := evHead
	switch _, portable := c.io.(*portableIO); {
	case !portable:
		// The socket stays with its selector, so that the protocol's
		// reader holds no goroutine while it waits. Given away, the
		// connection stays in the books through its Tunnel until that
		// closes, and Close breaks it there.
		wc := c.waiter()
		h = c.newHandover(wc, readerFunc(wc.TryRead))
		ev = evClose
	case c.info.TLS != nil:
		// Fresh from its handshake, idle: claim it.
		if !c.claim() {
			return // Shutdown closed it during the handshake
		}
		// HTTP/2 reads the TLS connection itself: the read buffer, empty
		// (ALPN chose h2 before any HTTP/1.1 byte), goes back to the pool
		// rather than stay with the connection for its life.
		c.dropReadBuffer()
		h = c.newHandover(c.nc, c.nc)
	default:
		nc, r, ok := c.detach()
		if !ok {
			return
		}
		h = c.newHandover(nc, r)
	}
	if upgrade != nil {
		h.Upgrade = &upgrade.req
	}
	c.must(ev)
	c.srv.Config.HTTP2.ServeConn(h)
}

func (c *conn) newHandover(nc net.Conn, r io.Reader) *Handover {
	s := c.srv
	return &Handover{
		Conn: nc, Reader: r,
		Info:    c.info,
		Limits:  *s.limits(),
		Logger:  s.Config.logger(),
		Handler: s.Handler,
		Execute: s.execute,
		Books:   &handedConn{c: c, nc: nc},
	}
}

// waiter takes an epoll connection away from HTTP/1.1 without taking it
// from its selector: it becomes a waitConn over the connection's Tunnel,
// which reads the bytes read past the request head first.
func (c *conn) waiter() *waitConn {
	t, err := c.io.tunnel(bytes.Clone(c.rbuf[c.r:c.w]))
	if err != nil {
		panic("connector: an epoll connection cannot be a Tunnel: " + err.Error())
	}
	c.dropReadBuffer()
	c.cur = nil
	return waitConnOf(t)
}

// readerFunc is a read function as an io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// detach takes a cleartext connection of the portable connector away
// from HTTP/1.1 (an h2c preface or upgrade): the bytes read past the
// request head are kept in front of it.
func (c *conn) detach() (net.Conn, io.Reader, bool) {
	nc, err := c.io.release()
	if err != nil {
		c.close()
		return nil, nil, false
	}
	br := c.restThen(nc)
	c.dropReadBuffer()
	c.cur = nil
	// The connection is the protocol's now; c keeps the books. Under the
	// server's mutex: Close reads the two (connList.all).
	c.srv.mu.Lock()
	c.nc = nc // c.io, the portableIO that holds c, reads it
	if c.srv.closedHard {
		// Close looked at the connection before this swap and could not
		// reach the new socket.
		nc.Close()
	}
	c.srv.mu.Unlock()
	return nc, br, true
}

// handedConn is the Books of a handed-over connection.
type handedConn struct {
	c      *conn
	nc     net.Conn
	goAway func()
}

// Track implements Books.
func (h *handedConn) Track(goAway func()) bool {
	s := h.c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return false
	}
	if s.handed == nil {
		s.handed = make(map[*handedConn]struct{})
	}
	h.goAway = goAway
	s.handed[h] = struct{}{}
	return true
}

// Close implements Books.
func (h *handedConn) Close() {
	if wc, ok := h.nc.(*waitConn); ok {
		wc.Close() // the connection's state is Closed already: c.close does nothing
	}
	h.c.close()
	s := h.c.srv
	s.mu.Lock()
	delete(s.handed, h)
	s.mu.Unlock()
}

// goAwayHandedLocked tells every handed-over connection that the server
// shuts down; they close when their requests are done. s.mu is held.
func (s *Server) goAwayHandedLocked() {
	for h := range s.handed {
		h.goAway()
	}
}

// handedConnsLocked returns the handed-over connections' sockets, for
// Close to close outside the lock (a TLS close may wait to send its
// alert). s.mu is held.
func (s *Server) handedConnsLocked() []net.Conn {
	ncs := make([]net.Conn, 0, len(s.handed))
	for h := range s.handed {
		ncs = append(ncs, h.nc)
	}
	return ncs
}

// restThen reads the bytes read past the request head, then nc: they
// belong to whoever takes the connection over (HTTP/2, Hijack).
func (c *conn) restThen(nc net.Conn) io.Reader {
	rest := bytes.Clone(c.rbuf[c.r:c.w])
	c.r = c.w
	return io.MultiReader(bytes.NewReader(rest), nc)
}
