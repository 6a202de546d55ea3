package h3

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	// DevCert, when no certificate is given (neither in the tlsConfig
	// argument nor, with a nil one, in the container's WithTLSConfig),
	// serves a self-signed certificate made at start for "localhost",
	// "127.0.0.1" and "::1" (devcert.New), kept in memory only: for
	// trying TLS, HTTP/2 and HTTP/3 with no certificate files. Clients
	// must be told to trust it (curl -k, or devcert.Pool of a certificate
	// of your own instead); it is not for production. False (the default)
	// means that no certificate is connector.ErrNoCertificate.
	DevCert bool
	// Disable0RTT refuses 0-RTT data: a returning client's requests then
	// wait for the handshake, one round trip longer, and cannot be
	// replayed by whoever captured them (RFC 9001 §9.2; docs/security.md).
	// False (the default) accepts it, as quic-go's HTTP/3 server does,
	// with one guard: a request that came early whose method is not safe
	// (RFC 9110 §9.2.1: not GET, HEAD, OPTIONS or TRACE) is held until the
	// handshake completes, which a replay never does (RFC 8470 §3), so a
	// POST runs once. A GET, HEAD, OPTIONS or TRACE that came early runs
	// at once, and again for each replay; its handler sees
	// Request.TLS().HandshakeComplete false. Set it when such a request
	// has effects.
	Disable0RTT bool

	// Tests' hooks (export_test.go): see limitHandler.
	testTaken, testCounted func()
}

// Serve serves c over HTTP/3 on pc until c shuts down or closes; it then
// returns connector.ErrServerClosed, like Container.Serve. If pc fails
// (a read does), Serve returns that error. tlsConfig holds
// the certificates (its NextProtos is replaced by "h3"); nil means the
// container's (container.WithTLSConfig), and Config.DevCert makes one when
// there is none. Serve registers itself with c.RegisterServer: c's
// Shutdown sends GOAWAY on every HTTP/3 connection and lets their
// requests finish, within its context (one whose HEADERS come once they
// have all finished is refused with H3_REQUEST_REJECTED, which a client
// may retry elsewhere); the connections still open a
// moment (a second) after that context is done are closed, and Close ends
// them at once. pc stays the caller's to close. A graceful shutdown ends
// Serve at once, while the connections it let finish still use pc: close
// pc once the container's Shutdown returned and its context is done, a
// second later (or after Close), not as soon as Serve returned; ServeTLS
// does this itself. ServeTLS serves TCP beside it in the same call. Any
// goroutine may call it.
func Serve(c *container.Container, pc net.PacketConn, tlsConfig *tls.Config, cfg Config) error {
	tlsConfig, err := certificates(c, tlsConfig, cfg)
	if err != nil {
		return err
	}
	return serve(c, pc, tlsConfig, cfg, nil, func() {})
}

// serve is Serve with the certificates found. Closing stop, if not nil,
// ends it as c's Shutdown would, without the container: no new connection
// or request, those open left to finish or to c's Shutdown or Close; it
// then returns connector.ErrServerClosed. closed is called once
// the QUIC transport is closed, when pc is no longer used: after serve
// returned, when a graceful shutdown lets connections finish.
func serve(c *container.Container, pc net.PacketConn, tlsConfig *tls.Config, cfg Config, stop <-chan struct{}, closed func()) error {
	if err := c.Start(); err != nil {
		closed()
		return err
	}
	ccfg := c.ConnectorConfig()
	if cfg.Connector != nil {
		ccfg = *cfg.Connector
	}
	lim := ccfg.Limits()

	// stopped is set when stop is closed: HTTP/3 then ends as in c's
	// Shutdown, its open connections left to c's Shutdown or Close.
	var stopped atomic.Bool
	// Every new connection passes admit: MaxConnections, and no new one
	// once c shuts down or stop is closed (see connLimit.closing).
	closing := func() bool { return c.ShuttingDown() || stopped.Load() }
	tr := &quic.Transport{Conn: pc, ConnContext: (&connLimit{max: int64(ccfg.MaxConnections), closing: closing}).admit}
	ln, err := tr.ListenEarly(http3.ConfigureTLSConfig(tlsConfig.Clone()), &quic.Config{
		Allow0RTT: !cfg.Disable0RTT, // accepted by default, as quic-go's HTTP/3 server does
		// quic-go gives up a handshake that is idle this long, or not
		// done in twice this time: ReadHeaderTimeout, as over TCP.
		HandshakeIdleTimeout: handshakeIdleTimeout(lim.ReadHeaderTimeout),
		MaxIncomingStreams:   MaxStreams,
	})
	if err != nil {
		tr.Close()
		closed()
		return err
	}
	var closeOnce sync.Once
	closeTransport := func() {
		closeOnce.Do(func() {
			ln.Close()
			tr.Close()
			closed()
		})
	}
	reqs := new(inflight)
	srv := &http3.Server{
		Handler: &limitHandler{h: c, lim: lim, reqs: reqs, testTaken: cfg.testTaken, testCounted: cfg.testCounted},
		// The field section as HTTP/3 counts it (RFC 9114 §4.2.2: each
		// field's name and value plus 32), like HTTP/2's header list.
		MaxHeaderBytes: lim.MaxHeaderBytes + 32*lim.MaxHeaders,
		IdleTimeout:    noneAsZero(lim.IdleTimeout),
		// Each connection's bucket of streams its client may stop before
		// they are answered (see resetBucket).
		ConnContext: connResets,
		Logger:      cmp.Or(cfg.Logger, slog.Default()), // quic-go takes nil for none
	}
	unregister, err := c.RegisterServer(&server{srv: srv, reqs: reqs, closeTransport: closeTransport})
	if err != nil {
		srv.Close()
		closeTransport()
		return err
	}
	if stop != nil {
		served := make(chan struct{})
		defer close(served)
		go func() {
			select {
			case <-stop:
				// As the TCP side's connections are left when its
				// listener is closed: quic-go's server takes no more
				// connections or requests, and those in flight finish,
				// unless c's Shutdown or Close, which the server stays
				// registered with, ends them first.
				stopped.Store(true)
				srv.Shutdown(context.Background())
				closeTransport()
			case <-served:
			}
		}()
	}
	err = srv.ServeListener(ln)
	if closing() {
		// The container's Shutdown and Close end the rest: Close may
		// come after this returned, to end the connections Shutdown's
		// context ran out for.
		go refuseQueued(ln)
		return connector.ErrServerClosed
	}
	// The transport failed (its socket did), and its connections with
	// it: err is why. quic-go's Close waits for the handlers still
	// running, which end as the container fails their requests, their
	// clients gone; the caller hears of the failure now.
	unregister()
	go func() {
		srv.Close()
		closeTransport()
	}()
	return err
}

// refuseQueued closes every connection that reaches ln's queue once
// quic-go's server, shut down, accepts none, until ln is closed with the
// transport. connLimit refuses a connection that comes after Shutdown
// began, but one admitted before, its handshake under way, still reaches
// the queue (an early connection, before its handshake completes), where
// its requests would wait, served by no one, for the transport's close,
// which drops it without a word to the client.
func refuseQueued(ln *quic.EarlyListener) {
	for {
		conn, err := ln.Accept(context.Background())
		if err != nil {
			return
		}
		go func() {
			// Closed during the handshake, the connection would end
			// with a bare APPLICATION_ERROR, its code withheld (RFC 9000
			// §10.2.3). After it, H3_REQUEST_REJECTED tells the client
			// that none of its requests was processed, which it may
			// retry on a new connection (RFC 9114 §4.1.1): one that
			// connLimit refuses while the transport is open.
			select {
			case <-conn.HandshakeComplete():
				conn.CloseWithError(quic.ApplicationErrorCode(http3.ErrCodeRequestRejected), "h3: shutting down")
			case <-conn.Context().Done():
			}
		}()
	}
}

// AltSvc returns a filter that advertises HTTP/3 on udpPort in every
// response's Alt-Svc header, so that HTTP/1.1 and HTTP/2 clients may move
// to it: install it with FilterFirst for "/*" on every context served over
// TCP (Container.Contexts), so that it runs for the answers of every
// other filter too (a filter added with Filter after QoS never sees QoS's
// 503s; see package container, "Filter order"). ServeTLS does that. The
// filter declares itself api.NonBlocking, so it leaves a chain's
// invocation type as it was. Any goroutine may call AltSvc, and the filter
// serves any number of requests at once.
func AltSvc(udpPort int) api.Filter {
	return altSvc(fmt.Sprintf(`%s=":%d"; ma=2592000`, http3.NextProtoH3, udpPort))
}

// altSvc is the filter of AltSvc: the header's value.
type altSvc string

func (v altSvc) Filter(w api.Response, r *api.Request, next api.Chain) error {
	if !strings.HasPrefix(r.Proto(), "HTTP/3") {
		w.Header().Set("Alt-Svc", string(v))
	}
	return next.Next(w, r)
}

// InvocationType returns api.NonBlocking: the filter only sets a header.
func (altSvc) InvocationType() api.InvocationType { return api.NonBlocking }

// server is an HTTP/3 server as the container's Shutdown and Close see it
// (container.Server).
type server struct {
	srv            *http3.Server
	reqs           *inflight
	closeTransport func()
}

// Shutdown sends GOAWAY on every connection and returns once no request
// is left in the HTTP/3 handler, or with ctx's error when ctx is done
// first: the requests in flight are the container's, which its Shutdown
// waits for, as it does on TCP, but for those quic-go has handed over
// and the container has yet to count (see inflight); a request that
// reaches the handler after is refused. What is left are connections
// whose clients have yet to close them, as HTTP/3 clients do once their
// requests are answered; quic-go closes those still open once ctx is
// done and closeGrace more has passed, and Close ends them at once. Not
// at ctx's end: the usual caller cancels ctx as soon as Shutdown
// returned, when the last responses may still be on their way (in
// quic-go's buffers, unacknowledged), and closing the connection would
// cut them off, where TCP delivers what a closed socket holds. The
// transport is closed after the connections, as it would cut them.
//
// Nor does it return as soon as the last request completed: its response
// is then in quic-go's buffers, which a process that exits once Shutdown
// returned (the usual program) takes with it, where the kernel would go on
// sending what a TCP socket holds. So, the requests done, Shutdown waits
// for the clients to close their connections, as they do once told GOAWAY
// and answered, which they do only once they have their responses: at
// most closeGrace, for a client that keeps its connection open, and not
// past ctx.
func (s *server) Shutdown(ctx context.Context) error {
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stop := context.AfterFunc(ctx, func() { time.AfterFunc(closeGrace, cancel) })
		s.srv.Shutdown(lctx)
		stop()
		cancel()
		s.closeTransport()
	}()
	if err := s.reqs.drain(ctx); err != nil {
		return err
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-closed:
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// closeGrace is how long after Shutdown's context is done the HTTP/3
// connections still open are closed: time for the responses the
// container completed to reach their clients.
const closeGrace = time.Second

// Close ends every connection and the transport, without waiting for the
// handlers still running, as the container's Close promises: quic-go's
// Close waits for them, and the container completes their requests only
// once Close returned.
func (s *server) Close() error {
	s.reqs.close()
	go func() {
		s.srv.Close()
		s.closeTransport()
	}()
	return nil
}
