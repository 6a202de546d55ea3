package websocket

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/wharf-go/wharf/api"
)

// Defaults of Config.
const (
	DefaultReadLimit    = 1 << 20
	DefaultSendQueue    = 256
	DefaultPingInterval = 30 * time.Second
	DefaultPongTimeout  = 15 * time.Second
	DefaultIdleTimeout  = 5 * time.Minute
	DefaultWriteTimeout = 10 * time.Second
	DefaultCloseTimeout = 5 * time.Second
)

// Config configures WebSocket connections. The zero value is ready to use:
// each field says what zero means. A negative value is refused
// (ErrConfig), but for PingInterval and IdleTimeout, where it means never.
type Config struct {
	// ReadLimit is the largest message accepted, in bytes (a compressed
	// one as it inflates: see EnableCompression); a larger one closes the
	// connection with 1009 (OnClose gets ErrTooBig). Zero means
	// DefaultReadLimit (1 MiB).
	ReadLimit int64
	// SendQueue is how many messages Send queues for a peer before it
	// returns ErrQueueFull; beyond the queue, a peer that reads slowly
	// holds one batch of about 64 KiB being written (or one message, if
	// larger) and, on a hijacked connection (the portable connector,
	// net/http), up to 64 KiB more taken meanwhile, as a socket's buffer
	// would. Zero means DefaultSendQueue (256).
	SendQueue int
	// PingInterval is how often the server pings the peer: the next ping
	// goes out PingInterval after the previous one did (a timer reset at
	// each ping, so a late timer never skips one). Zero means
	// DefaultPingInterval (30 s); negative means never, and then no
	// keep-alive deadline applies either (see PongTimeout).
	PingInterval time.Duration
	// PongTimeout sets, with PingInterval, the keep-alive deadline: a peer
	// from which nothing at all has arrived — no message, no pong, no
	// ping — for PingInterval + PongTimeout (45 s by default) is taken for
	// dead, closed with 1001 ("keep-alive timeout") at once, and OnClose
	// gets ErrPongTimeout. As a ping goes out every PingInterval, a live
	// peer has PongTimeout to answer one. A pong or a ping sets the
	// deadline exactly; a data message, or bytes of one still coming (a
	// large frame uploaded slowly), moves it only once less than
	// PingInterval + PongTimeout is left, to a quarter more than that (a
	// busy connection does not reset a timer per message), so after a
	// message the deadline is between 1 and 1.25 times that. While a
	// callback runs the connection is not read, so a deadline that passes
	// then leaves the peer PongTimeout more once reading resumes: a slow
	// callback does not drop a live peer. Nor does the deadline apply
	// once the server's close frame is framed, or is to be the next thing
	// the peer reads (CloseNow, a Close after ErrQueueFull): WriteTimeout
	// and CloseTimeout bound that close, and OnClose reports it, not
	// ErrPongTimeout. Zero means DefaultPongTimeout (15 s).
	PongTimeout time.Duration
	// IdleTimeout closes a connection (1001 "idle", and OnClose gets
	// ErrIdle) when no frame went either way for that long, counted from
	// the last one: messages, pings and pongs all count. The keep-alive's
	// own pings count too, so with PingInterval under IdleTimeout (the
	// defaults) a connection is never idle: IdleTimeout then matters only
	// when PingInterval is negative or longer. Zero means
	// DefaultIdleTimeout (5 min); negative means never.
	IdleTimeout time.Duration
	// WriteTimeout bounds the writes to the peer: a peer that takes no
	// bytes for that long ends the connection without a close frame
	// (OnClose gets ErrAbnormalClosure). On the epoll connector each wait
	// for the socket to take more gets WriteTimeout; on a hijacked
	// connection the write's deadline is set WriteTimeout ahead and moved
	// again once less than half of it is left, so a write gets between
	// half of WriteTimeout and all of it. Zero means DefaultWriteTimeout
	// (10 s).
	WriteTimeout time.Duration
	// CloseTimeout is how long the server waits for the peer's close
	// frame once its own went out (Close, CloseNow, IdleTimeout, a
	// container's Shutdown), before it closes the TCP connection anyway
	// (OnClose gets ErrCloseTimeout, unless the server had a reason of its
	// own). When the peer closed first, the TCP connection closes as soon
	// as the close frame is out: no answer is awaited. Nor is one when the
	// server closed because the connection could not be read any further
	// (the keep-alive deadline, a message over ReadLimit, a protocol
	// error), but then the peer may still be sending, and the connection
	// lingers, as an HTTP/1.1 one that did not read a body does: the
	// sending side is shut after the close frame, and what the peer sends
	// is dropped until it closes its own, for at most 500 ms, so that it
	// reads the close frame rather than a connection reset. Zero means
	// DefaultCloseTimeout (5 s).
	CloseTimeout time.Duration
	// CheckOrigin decides whether to accept a request from another origin.
	// Nil accepts requests without an Origin header and those whose Origin
	// host is the request's Host, as gorilla/websocket does. It sees one
	// Origin at most: a request whose Origin names several (two fields,
	// or a list in one) is refused 403 with ErrOrigin before it is
	// called.
	CheckOrigin func(r *api.Request) bool
	// Subprotocols lists the subprotocols the server speaks, in order of
	// preference; nil means none is negotiated.
	Subprotocols []string
	// Logger receives panics of callbacks. Nil means slog.Default().
	Logger *slog.Logger
	// EnableCompression accepts a client's offer of permessage-deflate
	// (RFC 7692), which browsers make on every connection, always with
	// server_no_context_takeover and client_no_context_takeover: each
	// message is compressed alone, so a connection keeps no compression
	// state between messages, and a quiet one costs what it does without.
	// An offer the server cannot honour is declined, and the next one
	// considered (RFC 7692 §7): one whose server_max_window_bits asks
	// for a window below the 15 bits Send compresses with, or with a
	// parameter unknown, repeated or of a bad value; one that asks for
	// server_max_window_bits=15 is answered with it (RFC 7692 §7.1.2.1).
	// The peer's compressed messages are then inflated, ReadLimit
	// bounding what they inflate to (1009 beyond), and Send compresses a
	// message of 128 bytes or more when that makes it smaller. False
	// declines the offer: messages travel uncompressed, and a frame with
	// an RSV bit set is a protocol error (1002).
	EnableCompression bool
}

// check refuses the negative values that mean nothing: only PingInterval
// and IdleTimeout give a negative value a meaning (never). Taken as they
// are, the others would refuse every message or every Send, or close a
// connection before it could answer a ping or take a write.
func (c *Config) check() error {
	for _, f := range []struct {
		name string
		neg  bool
	}{
		{"ReadLimit", c.ReadLimit < 0},
		{"SendQueue", c.SendQueue < 0},
		{"PongTimeout", c.PongTimeout < 0},
		{"WriteTimeout", c.WriteTimeout < 0},
		{"CloseTimeout", c.CloseTimeout < 0},
	} {
		if f.neg {
			return fmt.Errorf("%w: %s is negative", ErrConfig, f.name)
		}
	}
	return nil
}

func (c *Config) readLimit() int64 { return or(c.ReadLimit, DefaultReadLimit) }
func (c *Config) sendQueue() int   { return or(c.SendQueue, DefaultSendQueue) }
func (c *Config) pingInterval() time.Duration {
	return or(c.PingInterval, DefaultPingInterval)
}
func (c *Config) pongTimeout() time.Duration  { return or(c.PongTimeout, DefaultPongTimeout) }
func (c *Config) idleTimeout() time.Duration  { return or(c.IdleTimeout, DefaultIdleTimeout) }
func (c *Config) writeTimeout() time.Duration { return or(c.WriteTimeout, DefaultWriteTimeout) }
func (c *Config) closeTimeout() time.Duration { return or(c.CloseTimeout, DefaultCloseTimeout) }

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func or[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
