package wharftest

import (
	"context"
	"log/slog"
	"sync"
)

// Record is one captured log record with its attributes flattened by key
// (groups joined with ".").
type Record struct {
	Level   slog.Level
	Message string
	Attrs   map[string]slog.Value
}

// LogRecorder is a slog.Handler that keeps every record at or above Level.
type LogRecorder struct {
	Level slog.Level

	mu      *sync.Mutex
	records *[]Record
	attrs   []slog.Attr
	group   string
}

// NewLogRecorder returns a recorder that keeps records of every level, and a
// logger writing to it.
func NewLogRecorder() (*LogRecorder, *slog.Logger) {
	h := &LogRecorder{Level: slog.LevelDebug - 4, mu: new(sync.Mutex), records: new([]Record)}
	return h, slog.New(h)
}

// Enabled implements slog.Handler.
func (h *LogRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= h.Level }

// Handle implements slog.Handler.
func (h *LogRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := Record{Level: r.Level, Message: r.Message, Attrs: map[string]slog.Value{}}
	for _, a := range h.attrs {
		add(rec.Attrs, "", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		add(rec.Attrs, h.group, a)
		return true
	})
	h.mu.Lock()
	*h.records = append(*h.records, rec)
	h.mu.Unlock()
	return nil
}

func add(m map[string]slog.Value, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	key := a.Key
	if prefix != "" {
		key = prefix + "." + key
	}
	if v.Kind() == slog.KindGroup {
		for _, g := range v.Group() {
			add(m, key, g)
		}
		return
	}
	m[key] = v
}

// WithAttrs implements slog.Handler.
func (h *LogRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	for _, a := range attrs {
		if h.group != "" {
			a.Key = h.group + "." + a.Key
		}
		c.attrs = append(c.attrs[:len(c.attrs):len(c.attrs)], a)
	}
	return &c
}

// WithGroup implements slog.Handler.
func (h *LogRecorder) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}

// Records returns a copy of what was logged so far.
func (h *LogRecorder) Records() []Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Record(nil), *h.records...)
}

// RecordsOf returns a copy of the records logged so far with message.
func (h *LogRecorder) RecordsOf(message string) []Record {
	var recs []Record
	for _, r := range h.Records() {
		if r.Message == message {
			recs = append(recs, r)
		}
	}
	return recs
}

// DiscardLogger returns a logger that drops everything, for tests that
// provoke logged failures on purpose.
func DiscardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
