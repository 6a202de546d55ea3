package requestlog

import (
	"log/slog"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
)

// Config configures the filter. The zero value logs "request" records at
// info level to slog.Default().
type Config struct {
	// Logger receives the records. Nil means slog.Default().
	Logger *slog.Logger
	// Level is the level of every record. Nil means slog.LevelInfo.
	Level slog.Leveler
	// Message is the record's message. Empty means "request".
	Message string
}

type filter struct {
	cfg Config
}

// New returns the request log filter for cfg.
//
// Goroutines: call it at setup time; the filter it returns is safe for
// concurrent use, and each call of its Filter method must come from the
// request's serialized task.
func New(cfg Config) api.Filter {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Level == nil {
		cfg.Level = slog.LevelInfo
	}
	if cfg.Message == "" {
		cfg.Message = "request"
	}
	return &filter{cfg: cfg}
}

// Filter runs next with a byte-counting Response and logs the outcome. It
// must be called from the request's serialized task (the filter chain does
// so).
func (f *filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	ctx := r.Context()
	level := f.cfg.Level.Level()
	if !f.cfg.Logger.Enabled(ctx, level) {
		return next.Next(w, r)
	}
	start := time.Now()
	cw := &counter{ResponseWrapper: api.ResponseWrapper{Response: w}}
	err := next.Next(cw, r)
	elapsed := time.Since(start)

	status := w.Status()
	if err != nil {
		status = api.StatusOf(err)
	}
	suspended := false
	if ex := async.From(r); ex != nil && err == nil && !w.Committed() {
		suspended = ex.Suspended()
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method()),
		slog.String("path", r.Path()),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
		slog.Int64("bytes", cw.n),
		slog.String("remote", r.RemoteAddr()),
		slog.String("dispatch", kindName(async.KindOf(r))),
		slog.Bool("suspended", suspended),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	f.cfg.Logger.LogAttrs(ctx, level, f.cfg.Message, attrs...)
	return err
}

func kindName(k async.DispatchKind) string {
	switch k {
	case async.DispatchResumed:
		return "resumed"
	case async.DispatchExpired:
		return "expired"
	}
	return "initial"
}

// counter counts the body bytes written through it. Embedding
// api.ResponseWrapper keeps the capabilities of the wrapped Response
// reachable with api.As.
type counter struct {
	api.ResponseWrapper
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.Response.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *counter) WriteString(s string) (int, error) {
	n, err := c.Response.WriteString(s)
	c.n += int64(n)
	return n, err
}

// Reset discards the buffered body, so the bytes counted so far were never
// sent.
func (c *counter) Reset() error {
	err := c.Response.Reset()
	if err == nil {
		c.n = 0
	}
	return err
}
