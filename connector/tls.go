package connector

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"time"
)

// ServeTLS is Serve over TLS. Each connection completes its handshake
// (bounded by ReadHeaderTimeout) on a goroutine of its own, then speaks
// HTTP/1.1 or, when ALPN chose "h2", HTTP/2. Certificates come from
// Config.TLSConfig plus, if certFile and keyFile are not empty, that PEM
// pair. On Linux a TCP listener is served by the epoll connector, as Serve
// serves it: an idle HTTP/1.1 connection or a suspended request then holds
// no goroutine (the handshake's ends with it); elsewhere, or with
// Config.Portable, the portable connector serves. ServeTLS returns
// ErrNoCertificate when there is no certificate to serve with (or the
// error of loading the pair), leaving l open as net/http's ServeTLS
// does, and like Serve otherwise (closing l).
func (s *Server) ServeTLS(l net.Listener, certFile, keyFile string) error {
	cfg, err := s.tlsConfig(certFile, keyFile)
	if err != nil {
		return err
	}
	return s.Serve(NewTLSListener(l, cfg))
}

// NewTLSListener returns a listener of TLS connections made on l with cfg,
// as tls.NewListener's, for Serve: on the epoll connector Serve then runs
// TLS on its selectors, as ServeTLS does (an idle connection and a
// suspended request hold no goroutine, and a client that leaves a
// suspended request is noticed), where a crypto/tls listener, whose
// connections it cannot poll, has it fall back to a goroutine per
// connection. Unlike ServeTLS, it takes cfg as it is: NextProtos and
// MinVersion are the caller's to set. Serve returns ErrNoCertificate, as
// ServeTLS does, when cfg is nil or has no certificate. Any goroutine may
// call it.
func NewTLSListener(l net.Listener, cfg *tls.Config) net.Listener {
	return &tlsListener{Listener: tls.NewListener(l, cfg), inner: l, cfg: cfg}
}

// tlsListener is NewTLSListener's listener: crypto/tls's, for the portable
// connector, and the TCP listener under it with its configuration, for the
// epoll connector.
type tlsListener struct {
	net.Listener
	inner net.Listener
	cfg   *tls.Config
}

// hasCertificate reports whether cfg has a certificate to serve with.
func hasCertificate(cfg *tls.Config) bool {
	return cfg != nil && (len(cfg.Certificates) > 0 || cfg.GetCertificate != nil || cfg.GetConfigForClient != nil)
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
	if !hasCertificate(cfg) {
		return nil, ErrNoCertificate
	}
	return s.Config.ServerTLSConfig(cfg), nil
}

// ServerTLSConfig returns a clone of base with the protocols and the
// least version ServeTLS serves with, as TLSConfig's documentation says:
// for a caller that serves TLS on a listener of its own
// (NewTLSListener) as ServeTLS would. Any goroutine may call it.
func (c *Config) ServerTLSConfig(base *tls.Config) *tls.Config {
	cfg := base.Clone()
	h2 := !c.DisableHTTP2 && c.HTTP2 != nil
	if !h2 {
		// Not the caller's "h2" either: ALPN would choose it, and the
		// connection would be served as HTTP/2 though DisableHTTP2 is set,
		// or, without HTTP2, be closed where HTTP/1.1 could serve it.
		cfg.NextProtos = slices.DeleteFunc(slices.Clone(cfg.NextProtos), func(p string) bool { return p == "h2" })
	}
	if len(cfg.NextProtos) == 0 {
		if h2 {
			cfg.NextProtos = append(cfg.NextProtos, "h2")
		}
		cfg.NextProtos = append(cfg.NextProtos, "http/1.1")
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// handshake completes the TLS handshake of a new connection and keeps its
// state for the requests; it reports whether the connection may be served.
func (c *conn) handshake(tc *tls.Conn) bool {
	timeout := c.srv.limits().ReadHeaderTimeout
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		// Scanners and clients that distrust the certificate end here all
		// the time: worth a debug line, not an error.
		c.refused(0, "TLS", "tls handshake: ", err)
		return false
	}
	st := tc.ConnectionState()
	c.info.TLS = &st
	return true
}

// closeNotifyGrace is how long, once Close came, a TLS connection's close
// may wait for its socket to take close_notify: a client that reads takes
// it at once, one that does not would hold Close for crypto/tls's 5 s.
const closeNotifyGrace = 100 * time.Millisecond

// closeConn closes nc. A crypto/tls connection's Close sends close_notify
// first, under a write deadline of its own (5 s) that nothing set before
// the Close shortens: a client that does not read held the caller that
// long. Once hurryCloses set a time, the socket beneath is closed then,
// which ends the wait; close_notify still goes to a socket that takes it.
func (s *Server) closeConn(nc net.Conn) {
	tc, ok := nc.(*tls.Conn)
	if !ok {
		nc.Close()
		return
	}
	s.sayCloseNotify(tc, tc.Close)
}

// sayCloseNotify runs say, tc's Close or CloseWrite, whose close_notify
// waits as closeConn says, under hurryCloses as closeConn's does.
func (s *Server) sayCloseNotify(tc *tls.Conn, say func() error) {
	s.mu.Lock()
	by := s.hurryBy
	if by.IsZero() {
		if s.tlsClosing == nil {
			s.tlsClosing = make(map[*tls.Conn]struct{})
		}
		s.tlsClosing[tc] = struct{}{}
	}
	s.mu.Unlock()
	if !by.IsZero() {
		t := time.AfterFunc(time.Until(by), func() { tc.NetConn().Close() })
		say()
		t.Stop()
		return
	}
	say()
	s.mu.Lock()
	delete(s.tlsClosing, tc)
	s.mu.Unlock()
}

// hurryCloses has the TLS closes under way and to come (sayCloseNotify) give
// up on close_notify grace from now: Close's, and a Shutdown's whose
// context ended (0). An earlier time set before stays.
func (s *Server) hurryCloses(grace time.Duration) {
	by := time.Now().Add(grace)
	s.mu.Lock()
	if !s.hurryBy.IsZero() && s.hurryBy.Before(by) {
		by = s.hurryBy
	}
	s.hurryBy = by
	closing := s.tlsClosing
	s.tlsClosing = nil
	s.mu.Unlock()
	for tc := range closing {
		raw := tc.NetConn()
		time.AfterFunc(time.Until(by), func() { raw.Close() })
	}
}
