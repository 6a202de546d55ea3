package recovery

import (
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/wharf-go/wharf/api"
)

// Config configures the filter. The zero value logs with slog.Default() at
// error level and returns *api.PanicError.
type Config struct {
	// Logger receives one record per recovered panic, with the attributes
	// "panic", "method", "path", "remote" (the client's address as the
	// request reached the filter: behind filters/forwarded, put this
	// filter after it) and "stack". Nil means slog.Default().
	Logger *slog.Logger
	// Level is the level of that record. Nil means slog.LevelError.
	Level slog.Leveler
	// OnPanic, if not nil, turns the panic value v into the error the filter
	// returns. It runs after the panic was logged, on the goroutine and in
	// the serialized task that ran the chain. If it returns nil, or if OnPanic
	// is nil, the filter returns *api.PanicError.
	OnPanic func(r *api.Request, v any) error
}

type filter struct {
	cfg Config
}

// New returns the recovery filter configured by cfg.
//
// Goroutines: call it at setup time; the filter it returns is safe for
// concurrent use by any number of requests, and each call of its Filter
// method must come from the request's serialized task.
func New(cfg Config) api.Filter {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Level == nil {
		cfg.Level = slog.LevelError
	}
	return &filter{cfg: cfg}
}

// Filter runs next and converts a panic into a returned error. It must be
// called from the request's serialized task (the filter chain does so).
func (f *filter) Filter(w api.Response, r *api.Request, next api.Chain) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			err = &api.PanicError{Value: p}
			return
		}
		stack := debug.Stack()
		f.cfg.Logger.LogAttrs(r.Context(), f.cfg.Level.Level(), "wharf: panic recovered",
			slog.Any("panic", p),
			slog.String("method", r.Method()),
			slog.String("path", r.Path()),
			slog.String("remote", r.RemoteAddr()),
			slog.String("stack", string(stack)),
		)
		if f.cfg.OnPanic != nil {
			if e := f.cfg.OnPanic(r, p); e != nil {
				err = e
				return
			}
		}
		err = &api.PanicError{Value: p, Stack: stack}
	}()
	return next.Next(w, r)
}
