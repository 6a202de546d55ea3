package h3

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
)

// Errors of ServeTLS and ListenAndServeTLS, beside connector's
// ErrNoCertificate and ErrServerClosed.
var (
	// ErrStarted is returned by ServeTLS and ListenAndServeTLS for a
	// container that has started already (another Serve, a request through
	// ServeHTTP): the Alt-Svc filter they install must be in place before
	// it starts. Serve a container on one address with one call; to serve
	// it on more, add h3.AltSvc yourself and use Serve beside
	// Container.ServeTLS.
	ErrStarted = errors.New("h3: the container has started; ServeTLS must install its Alt-Svc filter first")
)

// listenTries is how many TCP ports Listen tries, for a port 0 address,
// before giving up on finding one whose number is free on UDP too.
const listenTries = 10

// Listen listens on the TCP address addr and on UDP at the same address
// and port, as ServeTLS needs. With port 0 it takes the port the system
// gives TCP, trying another if that one is taken on UDP. The caller
// closes both, or hands them to ServeTLS. Any goroutine may call it.
func Listen(addr string) (net.Listener, net.PacketConn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	tries := 1
	if port == "" || port == "0" {
		tries = listenTries
	}
	for i := 1; ; i++ {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, err
		}
		pc, err := net.ListenPacket("udp", l.Addr().String())
		if err == nil {
			return l, pc, nil
		}
		l.Close()
		if i >= tries {
			return nil, nil, err
		}
	}
}

// ListenAndServeTLS serves c on addr, TCP and UDP on one port, as
// ServeTLS does: HTTP/1.1 and HTTP/2 over TLS, HTTP/3 over QUIC, and
// Alt-Svc pointing TCP clients at HTTP/3. It returns
// connector.ErrServerClosed (container.ErrServerClosed) after c's
// Shutdown or Close, and otherwise the first error. With a nil tlsConfig
// the certificates are those of container.WithTLSConfig; cfg.DevCert
// makes a self-signed one for localhost when there are none. Any goroutine
// may call it, once per container, before the container starts.
func ListenAndServeTLS(c *container.Container, addr string, tlsConfig *tls.Config, cfg Config) error {
	tlsConfig, err := certificates(c, tlsConfig, cfg)
	if err != nil {
		return err
	}
	if c.Started() {
		return ErrStarted
	}
	l, pc, err := Listen(addr)
	if err != nil {
		return err
	}
	return ServeTLS(c, l, pc, tlsConfig, cfg)
}

// ServeTLS serves c over TLS on l, HTTP/1.1 and HTTP/2 chosen by ALPN, and
// over HTTP/3 on pc, in one call, until c shuts down or closes; it then
// returns connector.ErrServerClosed. l and pc are normally on the same
// port (Listen). Before c starts, ServeTLS puts AltSvc(pc's port) on every
// context of c with FilterFirst, so that every answer over TCP advertises
// HTTP/3, those of other filters too (QoS's 503s, a 401); it returns
// ErrStarted if c has started already.
//
// The certificates are tlsConfig's, for TCP and UDP alike (its NextProtos,
// if empty, becomes "h2" and "http/1.1" over TCP, as Container.ServeTLS
// makes it; HTTP/3 sets its own); nil means the container's
// (container.WithTLSConfig). Without certificates it returns
// connector.ErrNoCertificate, or with cfg.DevCert serves a self-signed
// certificate for localhost made now (devcert.New). cfg configures the
// HTTP/3 side as for Serve; the TCP side has the container's connector.
//
// c's Shutdown ends both sides gracefully and Close at once (HTTP/3 as
// Serve does). If one side fails, ServeTLS stops the other (its open
// connections are left to c's Shutdown or Close) and returns the error.
// ServeTLS closes l before it returns, and pc once the HTTP/3 connections
// are done. Any goroutine may call it, once per container.
func ServeTLS(c *container.Container, l net.Listener, pc net.PacketConn, tlsConfig *tls.Config, cfg Config) error {
	closeBoth := func() { l.Close(); pc.Close() }
	tlsConfig, err := certificates(c, tlsConfig, cfg)
	if err != nil {
		closeBoth()
		return err
	}
	port, err := portOf(pc.LocalAddr())
	if err != nil {
		closeBoth()
		return err
	}
	if c.Started() {
		closeBoth()
		return ErrStarted
	}
	alt := AltSvc(port)
	for _, x := range c.Contexts() {
		x.FilterFirst("/*", alt)
	}
	if err := c.Start(); err != nil {
		closeBoth()
		return err
	}

	stop := make(chan struct{})
	tcpDone, udpDone := make(chan error, 1), make(chan error, 1)
	// connector.NewTLSListener, not crypto/tls's: on the epoll connector
	// the TCP side then runs as Container.ServeTLS's does, rather than a
	// goroutine per connection that cannot tell when a suspended
	// request's client leaves.
	go func() { tcpDone <- c.Serve(connector.NewTLSListener(l, tcpConfig(c, tlsConfig))) }()
	go func() { udpDone <- serve(c, pc, tlsConfig, cfg, stop, func() { pc.Close() }) }()
	var first, second error
	select {
	case first = <-tcpDone:
		if !c.ShuttingDown() {
			close(stop) // TCP failed: end HTTP/3 too
		}
		second = <-udpDone
	case first = <-udpDone:
		if !c.ShuttingDown() {
			l.Close() // HTTP/3 failed: stop accepting on TCP too
		}
		second = <-tcpDone
	}
	l.Close()
	for _, err := range []error{first, second} {
		if err != nil && !errors.Is(err, connector.ErrServerClosed) {
			return err
		}
	}
	return connector.ErrServerClosed
}

// certificates returns the TLS configuration to serve with: tlsConfig,
// else the container's, else, with cfg.DevCert, one with a development
// certificate made now.
func certificates(c *container.Container, tlsConfig *tls.Config, cfg Config) (*tls.Config, error) {
	if tlsConfig == nil {
		tlsConfig = c.ConnectorConfig().TLSConfig
	}
	if tlsConfig != nil && (len(tlsConfig.Certificates) > 0 || tlsConfig.GetCertificate != nil || tlsConfig.GetConfigForClient != nil) {
		return tlsConfig, nil
	}
	if !cfg.DevCert {
		// Where a certificate may come from, since the caller gave none:
		// the error is usually met first when trying HTTP/3 out.
		return nil, fmt.Errorf("%w (give a tls.Config with one, container.WithTLSConfig, or set h3.Config.DevCert to try HTTP/3 with a development certificate)", connector.ErrNoCertificate)
	}
	cert, err := devcert.New()
	if err != nil {
		return nil, fmt.Errorf("h3: making a development certificate: %w", err)
	}
	out := &tls.Config{}
	if tlsConfig != nil {
		out = tlsConfig.Clone()
	}
	out.Certificates = []tls.Certificate{cert}
	return out, nil
}

// tcpConfig is tlsConfig for the TCP side, as the connector's ServeTLS
// would make it: ALPN offers h2 (unless the container's connector has no
// HTTP/2) and http/1.1, and TLS 1.2 is the least version.
func tcpConfig(c *container.Container, tlsConfig *tls.Config) *tls.Config {
	cc := c.ConnectorConfig()
	return cc.ServerTLSConfig(tlsConfig)
}

// portOf returns the port number of a UDP address.
func portOf(a net.Addr) (int, error) {
	if u, ok := a.(*net.UDPAddr); ok {
		return u.Port, nil
	}
	_, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return 0, fmt.Errorf("h3: no port in the packet connection's address %v: %w", a, err)
	}
	return strconv.Atoi(p)
}
