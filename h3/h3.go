// Package h3 serves a Wharf container over HTTP/3 (QUIC, on UDP), with
// github.com/quic-go/quic-go's HTTP/3 server, beside the container's TCP
// listeners, and advertises it to HTTP/1.1 and HTTP/2 clients with
// Alt-Svc.
//
// Requests reach the container through its http.Handler side: the same
// contexts, filters, continuations and async executor; unlike HTTP/1.1 and
// HTTP/2, which the connector serves itself, a suspended HTTP/3 request
// holds its stream's goroutine while it waits (quic-go's server needs the
// response done when the handler returns).
//
// The connector's limits and timeouts (connector.Config) apply to HTTP/3
// too, from the same configuration: some through quic-go's own settings,
// the rest enforced here before and around the container's handler.
// docs/security.md lists each and where HTTP/3 differs.
//
// Package h3 imports api, connector, container and quic-go.
package h3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
)

// MaxStreams is how many request streams a client may have open at once
// on one HTTP/3 connection (QUIC's MAX_STREAMS; quic-go's default).
const MaxStreams = 100

// Config configures Serve. The zero value is ready to use.
type Config struct {
	// Connector holds the limits and timeouts HTTP/3 requests and
	// connections get. Nil (the default) means the container's own
	// connector configuration (container.WithConnector), so that one
	// configuration governs every protocol; either way a zero field
	// means the connector's default. Only the limits and timeouts are
	// read (docs/security.md, "HTTP/3").
	Connector *connector.Config
	// Logger receives the HTTP/3 server's errors. Nil means
	// slog.Default(). (It is not the container's logger by default:
	// quic-go logs every request to it at debug level.)
	Logger *slog.Logger
}

// Serve serves c over HTTP/3 on pc until c shuts down or closes; it then
// returns connector.ErrServerClosed, like Container.Serve. tlsConfig holds
// the certificates (its NextProtos is replaced by "h3"). Serve registers
// itself with c.RegisterOnShutdown: c's Shutdown lets open HTTP/3
// connections finish, and Close ends them. pc stays the caller's to
// close, after Serve returned.
func Serve(c *container.Container, pc net.PacketConn, tlsConfig *tls.Config, cfg Config) error {
	if tlsConfig == nil || (len(tlsConfig.Certificates) == 0 && tlsConfig.GetCertificate == nil && tlsConfig.GetConfigForClient == nil) {
		return connector.ErrNoCertificate
	}
	if err := c.Start(); err != nil {
		return err
	}
	ccfg := c.ConnectorConfig()
	if cfg.Connector != nil {
		ccfg = *cfg.Connector
	}
	lim := ccfg.Limits()

	tr := &quic.Transport{Conn: pc}
	if ccfg.MaxConnections > 0 {
		tr.ConnContext = (&connLimit{max: int64(ccfg.MaxConnections)}).admit
	}
	ln, err := tr.ListenEarly(http3.ConfigureTLSConfig(tlsConfig.Clone()), &quic.Config{
		Allow0RTT: true, // as quic-go's HTTP/3 server does by default
		// quic-go gives up a handshake that is idle this long, or not
		// done in twice this time: ReadHeaderTimeout, as over TCP.
		HandshakeIdleTimeout: lim.ReadHeaderTimeout / 2,
		MaxIncomingStreams:   MaxStreams,
	})
	if err != nil {
		tr.Close()
		return err
	}
	var closeOnce sync.Once
	closeTransport := func() {
		closeOnce.Do(func() {
			ln.Close()
			tr.Close()
		})
	}
	srv := &http3.Server{
		Handler: &limitHandler{h: c, lim: lim},
		// The field section as HTTP/3 counts it (RFC 9114 §4.2.2: each
		// field's name and value plus 32), like HTTP/2's header list.
		MaxHeaderBytes: lim.MaxHeaderBytes + 32*lim.MaxHeaders,
		IdleTimeout:    lim.IdleTimeout,
		Logger:         cfg.Logger,
	}
	c.RegisterOnShutdown(func() {
		srv.Shutdown(context.Background())
		closeTransport() // once the connections are done: it would cut them
	})
	if c.ShuttingDown() {
		// The hook may have been registered too late to run.
		srv.Close()
		closeTransport()
		return connector.ErrServerClosed
	}
	err = srv.ServeListener(ln)
	if c.ShuttingDown() {
		return connector.ErrServerClosed // the hook ends the rest
	}
	srv.Close()
	closeTransport()
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return connector.ErrServerClosed
	}
	return err
}

// AltSvc returns a filter that advertises HTTP/3 on udpPort in every
// response's Alt-Svc header, so that HTTP/1.1 and HTTP/2 clients may move
// to it: install it for "/*" on the contexts served over TCP.
func AltSvc(udpPort int) api.Filter {
	value := fmt.Sprintf(`%s=":%d"; ma=2592000`, http3.NextProtoH3, udpPort)
	return api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		if !strings.HasPrefix(r.Proto(), "HTTP/3") {
			w.Header().Set("Alt-Svc", value)
		}
		return next.Next(w, r)
	})
}
