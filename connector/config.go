package connector

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/wharf-go/wharf/dispatcher"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxBodyBytes      = 64 << 20
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxDiscardBytes   = 256 << 10
	// The minimum data rates and their grace period are Kestrel's
	// defaults: generous to any real client (240 B/s is a fraction of a
	// 2G link), fatal to one that dribbles a byte every few seconds.
	DefaultMinRequestDataRate  = 240
	DefaultMinResponseDataRate = 240
	DefaultDataRateGrace       = 5 * time.Second
	DefaultDiscardTimeout      = 5 * time.Second
)

// NoTimeout is what Config.Limits gives for a timeout that is none (a
// negative Config value): a wait that never ends, yet short enough that
// a clock reading plus it, or twice it, cannot overflow, so that a
// protocol may add it to the time as it adds any timeout. A Config
// timeout longer than it is taken as it.
const NoTimeout = 100 * 365 * 24 * time.Hour

// Config holds a connector's limits and timeouts. The zero value gives the
// documented defaults; every field says what its zero means. A negative
// timeout means none, as in net/http's server, on every protocol
// (HTTP/1.1, HTTP/2 and package h3's HTTP/3).
type Config struct {
	// MaxHeaderBytes bounds the request line plus header fields. Zero or
	// negative means h1.DefaultMaxHeaderBytes (16 KiB). Exceeding it is
	// answered 431.
	MaxHeaderBytes int
	// MaxURILength bounds the request-target. Zero or negative means
	// h1.DefaultMaxURILength (8 KiB). Exceeding it is answered 414.
	MaxURILength int
	// MaxHeaders bounds the number of header fields. Zero or negative
	// means h1.DefaultMaxHeaders (100). Exceeding it is answered 431.
	MaxHeaders int
	// MaxBodyBytes bounds a request body. Zero means DefaultMaxBodyBytes
	// (64 MiB); negative means no limit. A declared Content-Length above it
	// is answered 413 before the handler runs; a chunked body that grows past
	// it fails the read with api.ErrBodyTooLarge.
	MaxBodyBytes int64
	// ReadHeaderTimeout bounds reading a request head once its first byte
	// arrived, and a TLS handshake from the connection's accept. Zero
	// means DefaultReadHeaderTimeout (10 s); negative means none, but for
	// the QUIC handshake it bounds over HTTP/3, which quic-go's own bound
	// (10 s) then bounds: docs/security.md says why. Exceeding it is
	// answered 408. The empty lines a client may send after a request
	// (RFC 9112 §2.2 has a server ignore them before a request-line) are
	// no head's first byte: IdleTimeout bounds the wait then, and its end
	// closes the connection without an answer.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds each read of a request body. Zero means
	// DefaultReadTimeout (30 s); negative means none. A client that sends
	// a byte just often enough is stopped by MinRequestDataRate and
	// ReadBodyTimeout.
	ReadTimeout time.Duration
	// ReadBodyTimeout bounds reading a whole request body, from the
	// handler's first read to its end. Zero or negative means none
	// beyond MinRequestDataRate. Exceeding it fails the read with a 408
	// and closes the connection.
	ReadBodyTimeout time.Duration
	// MinRequestDataRate is the slowest, in bytes per second, that a
	// request body may arrive while the server waits for it (only the
	// waiting counts: a handler slow to read is not the client's fault),
	// after DataRateGrace of waiting. Zero means
	// DefaultMinRequestDataRate (240 B/s); negative means none. A slower
	// body fails the read with a 408 and closes the connection.
	MinRequestDataRate int64
	// WriteTimeout bounds each write of a response. Zero means
	// DefaultWriteTimeout (30 s); negative means none.
	WriteTimeout time.Duration
	// MinResponseDataRate is the slowest, in bytes per second, that a
	// client may take a response while the server waits for it to (a
	// full socket buffer, on HTTP/2 a closed flow-control window), after
	// DataRateGrace of waiting. Zero means DefaultMinResponseDataRate
	// (240 B/s); negative means none. A slower client has its response
	// aborted and its connection closed.
	MinResponseDataRate int64
	// DataRateGrace is the waiting each direction of a request may do
	// before its minimum data rate applies. Zero means
	// DefaultDataRateGrace (5 s); negative means none, as for a timeout:
	// the waiting is not bounded, so neither minimum data rate applies
	// (no grace at all would fail every read or write that waits before
	// its first byte, which has earned no waiting yet).
	DataRateGrace time.Duration
	// IdleTimeout bounds the wait for the next request on a keep-alive
	// connection. Zero means DefaultIdleTimeout (60 s); negative means
	// none.
	IdleTimeout time.Duration
	// MaxDiscardBytes is how much of an unread request body the connector
	// reads and discards to keep the connection alive. Zero means
	// DefaultMaxDiscardBytes (256 KiB); negative means nothing is
	// discarded, so that a body left unread is always treated as one
	// past the bound. Beyond it the connection closes (HTTP/2: the
	// stream is reset, and while the handler that closed the body still
	// runs, its window is no longer opened).
	MaxDiscardBytes int64
	// DiscardTimeout bounds that discarding. Zero means
	// DefaultDiscardTimeout (5 s); negative means none: MaxDiscardBytes
	// still bounds the discarding (and on the portable connector
	// ReadTimeout and MinRequestDataRate bound each of its waits, as they
	// bound a body's reads). Beyond it the connection closes, lingering
	// as past MaxDiscardBytes: its sending side is shut and what the
	// client still sends is dropped, for at most 500 ms.
	DiscardTimeout time.Duration
	// MaxConnections bounds the connections open at once. At the limit
	// the server stops accepting, and new connections wait in the
	// listen backlog until one closes, as with Jetty's ConnectionLimit.
	// A listener served by the portable connector (any listener but a
	// *net.TCPListener, or any listener off Linux) may take one
	// connection over the limit, as Jetty's blocking
	// acceptors do: its accept cannot be withdrawn. A connection handed
	// over by Hijack no longer counts from the Hijack on, as on net/http's
	// server, even while the handler that took it runs, so this does not
	// bound the descriptors hijacked connections hold; one handed over as
	// a Tunnel (a WebSocket on the epoll connector) counts until it closes. Zero means no limit but
	// the process's file descriptors (an accept that runs out of them is
	// retried, not fatal).
	MaxConnections int
	// Logger receives connection-level errors, and at Debug level a
	// record ("connector: request refused") for each request the
	// connector refuses before any handler sees it, and each failed TLS
	// handshake (see the package doc). Nil means slog.Default().
	Logger *slog.Logger
	// Portable forces the goroutine-per-connection connector even where
	// the epoll connector is available (Linux, a *net.TCPListener given to
	// Serve or ServeTLS). False (the default) picks the epoll connector
	// when it can.
	Portable bool
	// Selectors is the number of epoll selector goroutines. Zero means
	// half of GOMAXPROCS, at least one.
	Selectors int
	// Executor runs the requests the epoll connector's strategy does not
	// run on the producing goroutine, and the reserved goroutines that take
	// production over. Nil means a dispatcher.UnboundedExecutor the server
	// owns (and closes when it stops); a given Executor stays the caller's.
	Executor dispatcher.Executor
	// TLSConfig is the TLS configuration ServeTLS starts from: its
	// certificates (several are chosen between by SNI), client
	// authentication, versions. It is cloned, never modified. NextProtos,
	// if empty, becomes "h2" and "http/1.1"; with DisableHTTP2 or without
	// HTTP2, "h2" is taken out of it, and an empty one becomes "http/1.1".
	// MinVersion, if zero, TLS 1.2. Nil means the certificate files given
	// to ServeTLS alone.
	TLSConfig *tls.Config
	// DisableHTTP2 keeps ServeTLS from offering HTTP/2 through ALPN. False
	// (the default) offers it when HTTP2 is set.
	DisableHTTP2 bool
	// H2C accepts HTTP/2 without TLS on cleartext listeners: from clients
	// that open the connection with the HTTP/2 preface (prior knowledge),
	// and from a first request without a body that asks with "Upgrade: h2c"
	// (answered 101, then served as stream 1). False (the default) answers
	// that preface 505 and ignores the Upgrade. It needs HTTP2.
	H2C bool
	// HTTP2 serves the connections that speak HTTP/2: over TLS when ALPN
	// chose "h2", and in cleartext with H2C (see Protocol). container.New
	// sets it to package connector/http2's server. Nil means HTTP/1.1
	// only: ServeTLS offers no "h2", H2C does nothing, and a connection
	// whose ALPN chose "h2" anyway (a listener of NewTLSListener's, whose
	// configuration is the caller's) is closed.
	HTTP2 Protocol

	// testInlineReturned, set by tests only, runs on the producer after a
	// NonBlocking handler's first dispatch returned, before the connector
	// goes on: it widens races a test wants to hit.
	testInlineReturned func()
	// testDetach, set by tests only, runs as the epoll connector marks a
	// connection as holding a suspended request (fdConn.detach), before
	// it looks at the read buffer: the window where a task of the request
	// takes the connection over (Tunnel).
	testDetach func()
	// testBeforeReady, set by tests only, runs in the epoll accept loop
	// after a connection is listed and registered, before it is ready:
	// the window where Shutdown cannot claim it.
	testBeforeReady func()
	// testHeadRead, set by tests only, runs before each read of a request
	// head on the epoll connector (fdConn.fill): it counts the reads.
	testHeadRead func()
	// testHandshake, set by tests only, runs on the epoll connector's TLS
	// handshake goroutine before the handshake is marked running: the
	// window where a Shutdown finds nothing to break (see handshakeEP).
	testHandshake func()
	// testShutdownLooked, set by tests only, runs in Shutdown once it has
	// looked at every connection (closeIfIdle).
	testShutdownLooked func()
	// testBeforeListen, set by tests only, runs in the epoll connector's
	// Serve once its selectors run, before its listener joins one: the
	// window where Shutdown or Close stops the selectors under it.
	testBeforeListen func()
	// testLinger, set by tests only, bounds the epoll connector's
	// lingering close instead of lingerTimeout: a test that reads what
	// the close still sends must not race half a second of a loaded
	// machine's scheduling.
	testLinger time.Duration
	// testLingerEnd, set by tests only, runs where the epoll connector's
	// lingering close over TLS read the client's end while the answer's
	// last records still wait for the socket, before the connection
	// turns idle for them (lingerNB): the window where the selector may
	// send them and shut the sending side.
	testLingerEnd func()
}

// positive is v, or def when v is zero (unset) or negative: a header
// limit no request could meet is read as unset, as h1.Limits reads it,
// so that every protocol bounds a head alike.
func positive(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// or is v, or def when v is zero (unset).
func or[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// timeout is the timeout v, or def when v is zero (unset); NoTimeout
// when it is none (negative) or longer.
func timeout(v, def time.Duration) time.Duration {
	if v < 0 {
		return NoTimeout
	}
	return min(or(v, def), NoTimeout)
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
