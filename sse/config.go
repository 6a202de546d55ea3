package sse

import (
	"log/slog"
	"time"
)

// Defaults of Config, used where a field is zero.
const (
	// DefaultRetain is how many events of each topic the default
	// MemoryLog keeps (Config.Retain, and NewMemoryLog's retain).
	DefaultRetain = 1000
	// DefaultMaxQueue is how many events a stream may hold that its
	// connection has not taken yet (Config.MaxQueue).
	DefaultMaxQueue = 256
	// DefaultHeartbeat is the period of the heartbeat (Config.Heartbeat).
	DefaultHeartbeat = 15 * time.Second
	// DefaultMissedEvent is the type of the event a stream sends before a
	// replay that lacks events its client asked for (Config.MissedEvent).
	DefaultMissedEvent = "missed"
)

// Config configures a Broker. Its zero value is ready to use: an
// in-memory log and the defaults each field names.
type Config struct {
	// Log keeps each topic's recent events for replay and carries every
	// published event to the streams. Zero means a new MemoryLog keeping
	// Retain events per topic, for one instance; package sse/natssse
	// shares one between instances through NATS JetStream.
	Log Log
	// Retain is how many events of each topic the default MemoryLog
	// keeps. Zero means DefaultRetain (1,000). Ignored when Log is set.
	Retain int
	// MaxQueue is how many events a stream may hold that its connection
	// has not taken yet, beyond the bytes its output window holds
	// (async.DefaultOutputWindow, 64 KiB). Past it the stream is ended:
	// its client reconnects and catches up from the log. Zero means
	// DefaultMaxQueue (256).
	MaxQueue int
	// Heartbeat is the period of the heartbeat: a stream that wrote
	// nothing for a whole period sends a comment line, which keeps
	// proxies from closing it and lets the server notice a client that is
	// gone. A silent stream sends one every period; one that wrote an
	// event is silent for two periods at most. Zero means
	// DefaultHeartbeat (15 s); negative means never.
	Heartbeat time.Duration
	// MissedEvent is the type of the event a stream sends before its
	// replay when some of the events its client asked for are no longer
	// retained, or its Last-Event-ID is no ID the log gave (its data is
	// the Last-Event-ID the client sent). Zero means
	// DefaultMissedEvent ("missed"); "-" means send none.
	MissedEvent string
	// Logger hears what a client is not told: a replay the log failed to
	// read (Serve then ends the stream at once, with a retry, rather than
	// answer an error status on which an EventSource gives up). Nil means
	// slog.Default().
	Logger *slog.Logger
}

// withDefaults returns cfg with its zero fields filled in.
func (cfg Config) withDefaults() Config {
	if cfg.Retain <= 0 {
		cfg.Retain = DefaultRetain
	}
	if cfg.Log == nil {
		cfg.Log = NewMemoryLog(cfg.Retain)
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = DefaultMaxQueue
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.MissedEvent == "" {
		cfg.MissedEvent = DefaultMissedEvent
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg
}
