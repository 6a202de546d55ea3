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
// Package h3 imports api, container and quic-go.
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

	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
)

// Config configures Serve. The zero value is ready to use.
type Config struct {
	// MaxHeaderBytes bounds a request's header section. Zero means
	// quic-go's default (1 MiB).
	MaxHeaderBytes int
	// Logger receives the HTTP/3 server's errors. Nil means slog.Default().
	Logger *slog.Logger
}

// Serve serves c over HTTP/3 on pc until c shuts down or closes; it then
// returns connector.ErrServerClosed, like Container.Serve. tlsConfig holds
// the certificates (its NextProtos is replaced by "h3"). Serve registers
// itself with c.RegisterOnShutdown: c's Shutdown lets open HTTP/3
// connections finish, and Close ends them.
func Serve(c *container.Container, pc net.PacketConn, tlsConfig *tls.Config, cfg Config) error {
	if tlsConfig == nil || (len(tlsConfig.Certificates) == 0 && tlsConfig.GetCertificate == nil && tlsConfig.GetConfigForClient == nil) {
		return connector.ErrNoCertificate
	}
	if err := c.Start(); err != nil {
		return err
	}
	srv := &http3.Server{
		Handler:        c,
		TLSConfig:      http3.ConfigureTLSConfig(tlsConfig.Clone()),
		MaxHeaderBytes: cfg.MaxHeaderBytes,
		Logger:         cfg.Logger,
	}
	c.RegisterOnShutdown(func() { srv.Shutdown(context.Background()) })
	if c.ShuttingDown() {
		return connector.ErrServerClosed
	}
	err := srv.Serve(pc)
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) || c.ShuttingDown() {
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
