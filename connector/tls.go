package connector

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// ServeTLS is Serve over TLS. Each connection completes its handshake
// (bounded by ReadHeaderTimeout) on its own goroutine, then speaks HTTP/1.1
// or, when ALPN chose "h2", HTTP/2. Certificates come from Config.TLSConfig
// plus, if certFile and keyFile are not empty, that PEM pair. TLS
// connections use the portable connector. ServeTLS returns
// ErrNoCertificate when there is no certificate to serve with, and like
// Serve otherwise.
func (s *Server) ServeTLS(l net.Listener, certFile, keyFile string) error {
	cfg, err := s.tlsConfig(certFile, keyFile)
	if err != nil {
		return err
	}
	return s.Serve(tls.NewListener(l, cfg))
}

// tlsConfig builds the configuration ServeTLS serves with.
func (s *Server) tlsConfig(certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{}
	if s.Config.TLSConfig != nil {
		cfg = s.Config.TLSConfig.Clone()
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("connector: loading the TLS certificate: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return nil, ErrNoCertificate
	}
	if len(cfg.NextProtos) == 0 {
		if s.http2Handler() != nil {
			cfg.NextProtos = append(cfg.NextProtos, "h2")
		}
		cfg.NextProtos = append(cfg.NextProtos, "http/1.1")
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg, nil
}

// handshake completes the TLS handshake of a new connection and keeps its
// state for the requests; it reports whether the connection may be served.
func (c *conn) handshake(tc *tls.Conn) bool {
	timeout := orDuration(c.srv.Config.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		// Scanners and clients that distrust the certificate end here all
		// the time: worth a debug line, not an error.
		c.srv.Config.logger().Debug("connector: TLS handshake failed", "remote", c.remote, "err", err)
		return false
	}
	st := tc.ConnectionState()
	c.tls = &st
	return true
}

// http2Handler is what serves HTTP/2 for now: the Handler as an
// http.Handler (the container is one) under net/http's own HTTP/2 server,
// until Wharf has an HTTP/2 server of its own. Nil when HTTP/2 is off or
// the Handler cannot serve it.
func (s *Server) http2Handler() http.Handler {
	if s.Config.DisableHTTP2 {
		return nil
	}
	h, _ := s.Handler.(http.Handler)
	return h
}

// h2 is the server's HTTP/2 side: an http.Server fed the connections
// whose handshake chose "h2", through a listener of its own. Its ConnState
// hook tells the connector when each is done.
type h2 struct {
	srv   *http.Server
	ln    *connListener
	conns sync.Map // net.Conn → *conn
}

// h2 returns the HTTP/2 side, made on first use; nil once the server is
// shutting down.
func (s *Server) h2() *h2 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h2s == nil && !s.shutting.Load() {
		h := &h2{ln: newConnListener()}
		h.srv = &http.Server{
			Handler:   s.http2Handler(),
			ErrorLog:  slog.NewLogLogger(s.Config.logger().Handler(), slog.LevelDebug),
			ConnState: h.connState,
		}
		h.srv.Protocols = new(http.Protocols)
		h.srv.Protocols.SetHTTP2(true)
		h.srv.Protocols.SetUnencryptedHTTP2(s.Config.H2C)
		go h.srv.Serve(h.ln)
		s.h2s = h
	}
	return s.h2s
}

// connState ends the connector's bookkeeping of a connection net/http is
// done with.
func (h *h2) connState(nc net.Conn, st http.ConnState) {
	if st != http.StateClosed && st != http.StateHijacked {
		return
	}
	if c, ok := h.conns.LoadAndDelete(nc); ok {
		c.(*conn).close()
	}
}

// serveH2 hands a TLS connection whose client chose HTTP/2 to the HTTP/2
// side; the connection's goroutine ends here.
func (c *conn) serveH2() {
	c.setState(connReading)
	c.setState(connServing)
	c.nc.SetDeadline(time.Time{})
	c.handToH2()
}

// handToH2 gives c.nc to the HTTP/2 side, which serves it from now on; c
// stays in the server's books until the HTTP/2 side is done with it.
func (c *conn) handToH2() {
	h := c.srv.h2()
	if h == nil || c.srv.http2Handler() == nil {
		c.close()
		return
	}
	h.conns.Store(c.nc, c)
	if !h.ln.push(c.nc) {
		h.conns.Delete(c.nc)
		c.close()
	}
}

// shutdownH2 asks HTTP/2 connections to finish (GOAWAY) for Shutdown; they
// close once their streams are done. s.mu is held.
func (s *Server) shutdownH2Locked() {
	if h := s.h2s; h != nil {
		go h.srv.Shutdown(context.Background())
	}
}

// closeH2Locked closes the HTTP/2 side and its connections. s.mu is held.
func (s *Server) closeH2Locked() {
	if h := s.h2s; h != nil {
		go h.srv.Close() // its ConnState hook takes s.mu
	}
}

// connListener is a net.Listener whose connections are pushed to it.
type connListener struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newConnListener() *connListener {
	return &connListener{ch: make(chan net.Conn), closed: make(chan struct{})}
}

// push hands nc to Accept; false if the listener is closed.
func (l *connListener) push(nc net.Conn) bool {
	select {
	case l.ch <- nc:
		return true
	case <-l.closed:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case nc := <-l.ch:
		return nc, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *connListener) Addr() net.Addr { return connListenerAddr{} }

type connListenerAddr struct{}

func (connListenerAddr) Network() string { return "wharf-h2" }
func (connListenerAddr) String() string  { return "wharf-h2" }

// h2PrefaceStart is how the HTTP/2 connection preface begins; as an
// HTTP/1.1 head it is a complete one that fails to parse.
var h2PrefaceStart = []byte("PRI * HTTP/2.0\r\n\r\n")

// serveH2C hands a cleartext connection that opened with the HTTP/2
// preface to the HTTP/2 side, with the bytes already read in front of it.
func (c *conn) serveH2C() {
	if c.srv.http2Handler() == nil {
		c.close()
		return
	}
	nc := c.nc
	if c.ep != nil {
		var err error
		if nc, err = c.ep.toNetConn(); err != nil {
			c.close()
			return
		}
	}
	pc := &prefixConn{Conn: nc, prefix: bytes.Clone(c.rbuf[c.r:c.w])}
	if c.ep != nil {
		c.srv.putReadBuffer(c.rbuf)
	}
	c.rbuf, c.r, c.w = nil, 0, 0
	c.nc, c.ep = pc, nil // the connection is net/http's now; c keeps the books
	c.setState(connServing)
	c.handToH2()
}

// prefixConn is a connection whose first bytes were already read.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}
