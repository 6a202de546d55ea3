package websocket

import (
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
// each field says what zero means.
type Config struct {
	// ReadLimit is the largest message accepted, in bytes; a larger one
	// closes the connection with 1009. Zero means DefaultReadLimit (1 MiB).
	ReadLimit int64
	// SendQueue is how many messages Send queues for a peer before it
	// returns ErrQueueFull. Zero means DefaultSendQueue (256).
	SendQueue int
	// PingInterval is how often the server pings for keep-alive. Zero
	// means DefaultPingInterval (30 s); negative means never (then no read
	// deadline applies either).
	PingInterval time.Duration
	// PongTimeout is how long after a ping interval the peer has to show
	// life (a message or a pong) before the connection is closed with
	// ErrPongTimeout. Zero means DefaultPongTimeout (15 s).
	PongTimeout time.Duration
	// IdleTimeout closes a connection (1001, ErrIdle) when no message went
	// either way for that long; pings and pongs do not count. Zero means
	// DefaultIdleTimeout (5 min); negative means never.
	IdleTimeout time.Duration
	// WriteTimeout bounds each write to the peer. Zero means
	// DefaultWriteTimeout (10 s).
	WriteTimeout time.Duration
	// CloseTimeout is how long the close handshake waits for the peer's
	// close frame. Zero means DefaultCloseTimeout (5 s).
	CloseTimeout time.Duration
	// CheckOrigin decides whether to accept a request from another origin.
	// Nil accepts requests without an Origin header and those whose Origin
	// host is the request's Host, as gorilla/websocket does.
	CheckOrigin func(r *api.Request) bool
	// Subprotocols lists the subprotocols the server speaks, in order of
	// preference; nil means none is negotiated.
	Subprotocols []string
	// Logger receives panics of callbacks. Nil means slog.Default().
	Logger *slog.Logger
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
