package requestlog

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
)

// Format is the shape of the request log.
type Format uint8

const (
	// FormatSlog writes one log/slog record per request to Config.Logger.
	FormatSlog Format = iota
	// FormatCombined writes one line per request in the NCSA combined log
	// format of Apache's and Jetty's access logs to Config.Writer.
	FormatCombined
)

// Config configures the filter. The zero value logs one "request" record
// per request at info level to slog.Default().
type Config struct {
	// Logger receives the records (FormatSlog) and, with Passes, the
	// per-pass records. Nil means slog.Default().
	Logger *slog.Logger
	// Level is the level of every record. Nil means slog.LevelInfo.
	Level slog.Leveler
	// Message is the record's message; per-pass records add " pass" to
	// it. Empty means "request".
	Message string
	// Format is the shape of the log. Zero means FormatSlog.
	Format Format
	// Writer receives the lines of FormatCombined, each with one Write
	// call, made under the filter's lock: a Writer that is not safe for
	// concurrent use (a bytes.Buffer, a bufio.Writer) needs no lock of its
	// own, and lines never interleave. Write must not keep the slice. Nil
	// means os.Stderr. Other formats ignore it.
	Writer io.Writer
	// Passes adds a slog record at the end of each pass of the request
	// through the chain (its initial dispatch, each re-dispatch after a
	// resume or a timeout), with the attributes dispatch and suspended:
	// the way to see a request's suspensions. False (the zero value) logs
	// only the completion.
	Passes bool
	// Now is the clock of start times and durations. Nil means time.Now.
	Now func() time.Time
}

type filter struct {
	cfg Config

	// pending holds the exchanges with a record to come. A sync.Map, not
	// a map under one mutex: each key is written by its own request only,
	// and every request passes here, so one lock would serialize them all.
	pending sync.Map // the request's api.Exchange → struct{}

	// A lock of its own for the Writer, so that a slow Write holds up
	// other records only, never a request's first pass.
	wmu  sync.Mutex
	line []byte // FormatCombined's buffer, under wmu
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
	if cfg.Writer == nil {
		cfg.Writer = os.Stderr
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &filter{cfg: cfg}
}

// Filter arranges for the request's record and runs next. It must be
// called from the request's serialized task (the filter chain does so).
func (f *filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	ex := r.Exchange()
	if ex == nil {
		return f.single(w, r, next)
	}
	if f.enabled(r) {
		f.watch(ex, r)
	}
	if f.cfg.Passes && f.cfg.Logger.Enabled(r.Context(), f.cfg.Level.Level()) {
		return f.pass(w, r, next)
	}
	return next.Next(w, r)
}

func (f *filter) enabled(r *api.Request) bool {
	return f.cfg.Format == FormatCombined || f.cfg.Logger.Enabled(r.Context(), f.cfg.Level.Level())
}

// watch registers the record of ex's request on the first pass the filter
// sees: usually the initial dispatch, but a filter before this one may
// have suspended the request first, and a forward with filters passes
// through this one again.
func (f *filter) watch(ex api.Exchange, r *api.Request) {
	if _, seen := f.pending.LoadOrStore(ex, struct{}{}); seen {
		return
	}
	// A value, captured by the listener's closure: one allocation for
	// both.
	rec := record{f: f, ex: ex, r: r, start: f.cfg.Now()}
	// The request may have completed already: below the timeout filter,
	// the chain runs on a goroutine of its own and may get here after the
	// timeout answered. A listener added then would never run, leaving
	// the request unlogged and its exchange in pending for good.
	if err := async.OnComplete(r, func(err error) { rec.complete(r, err) }); err != nil {
		f.pending.Delete(ex)
		if errors.Is(err, api.ErrCompleted) {
			rec.complete(r, err)
		}
	}
}

// record is a request whose completion is still to be logged.
type record struct {
	f     *filter
	ex    api.Exchange // the request's exchange: its key in pending
	r     *api.Request // as the filter first saw it
	start time.Time
}

// complete is the record's OnComplete listener: the Result says what was
// sent, whichever task sent it.
func (rec record) complete(_ *api.Request, err error) {
	f := rec.f
	f.pending.Delete(rec.ex)
	res, ok := async.ResultOf(rec.r)
	if !ok { // cannot happen from OnComplete; log what is known
		res = async.Result{Err: err}
	}
	f.log(rec.r, rec.start, res)
}

// single logs a request that no container runs, at the end of its one
// pass: its status is the Response's (or the returned error's), its bytes
// are those written through the filter.
func (f *filter) single(w api.Response, r *api.Request, next api.Chain) error {
	if !f.enabled(r) {
		return next.Next(w, r)
	}
	start := f.cfg.Now()
	cw := &counter{ResponseWrapper: api.ResponseWrapper{Response: w}}
	err := next.Next(cw, r)
	res := async.Result{Status: w.Status(), Bytes: cw.n, Err: err}
	if err != nil && !w.Committed() { // a committed head is what was sent
		res.Status = api.StatusOf(err)
	}
	f.log(r, start, res)
	return err
}

// log writes the record of a finished request.
func (f *filter) log(r *api.Request, start time.Time, res async.Result) {
	if f.cfg.Format == FormatCombined {
		f.writeCombined(r, start, res)
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method()),
		slog.String("path", r.Path()),
		slog.Int("status", res.Status),
		slog.Int64("bytes", res.Bytes),
		slog.Duration("duration", f.cfg.Now().Sub(start)),
		slog.String("end", res.End.String()),
		slog.String("proto", r.Proto()),
		slog.String("remote", r.RemoteAddr()),
	}
	if res.Err != nil {
		attrs = append(attrs, slog.String("error", res.Err.Error()))
	}
	f.cfg.Logger.LogAttrs(r.Context(), f.cfg.Level.Level(), f.cfg.Message, attrs...)
}

// writeCombined writes the NCSA combined log line of a finished request.
func (f *filter) writeCombined(r *api.Request, start time.Time, res async.Result) {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	f.line = appendCombined(f.line[:0], r, start, res)
	_, _ = f.cfg.Writer.Write(f.line)
}

// appendCombined appends the line
//
//	host ident authuser [dd/Mon/yyyy:HH:MM:SS -0700] "METHOD target PROTO" status bytes "referer" "user-agent"
//
// with "-" for the ident and the user (unknown here), for a status when no
// head was sent, for 0 bytes, and inside the quotes for an empty referer or
// user agent. Quotes, backslashes and control bytes in the quoted fields
// are escaped as Apache does (\", \\, \xhh), and in the host too, with
// its spaces (\x20).
func appendCombined(b []byte, r *api.Request, start time.Time, res async.Result) []byte {
	host := r.RemoteAddr()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		host = "-"
	}
	// On a Unix socket the peer's address is the name it bound, whatever
	// bytes it chose: escaped, its spaces too, it stays the line's first
	// field, where a line feed in it would start a line of its making.
	b = appendEscapedField(b, host)
	b = append(b, " - - ["...)
	b = start.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, "] \""...)
	b = appendEscaped(b, r.Method())
	b = append(b, ' ')
	b = appendEscaped(b, r.Target())
	b = append(b, ' ')
	b = appendEscaped(b, r.Proto())
	b = append(b, "\" "...)
	if res.Status > 0 {
		b = strconv.AppendInt(b, int64(res.Status), 10)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	if res.Bytes > 0 {
		b = strconv.AppendInt(b, res.Bytes, 10)
	} else {
		b = append(b, '-')
	}
	b = appendQuoted(b, r.Header().Get("Referer"))
	b = appendQuoted(b, r.Header().Get("User-Agent"))
	return append(b, '\n')
}

// appendQuoted appends ` "s"`, or ` "-"` for an empty s.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, ' ', '"')
	if s == "" {
		b = append(b, '-')
	} else {
		b = appendEscaped(b, s)
	}
	return append(b, '"')
}

func appendEscaped(b []byte, s string) []byte { return escape(b, s, false) }

// appendEscapedField appends s escaped as appendEscaped does, and its
// spaces as \x20, for a field outside quotes.
func appendEscapedField(b []byte, s string) []byte { return escape(b, s, true) }

func escape(b []byte, s string, space bool) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f || c == ' ' && space:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return b
}

// pass runs next with a byte-counting Response and logs the pass.
func (f *filter) pass(w api.Response, r *api.Request, next api.Chain) error {
	start := f.cfg.Now()
	cw := &counter{ResponseWrapper: api.ResponseWrapper{Response: w}}
	err := next.Next(cw, r)
	elapsed := f.cfg.Now().Sub(start)

	status := w.Status()
	if err != nil && !w.Committed() { // a committed head is what was sent
		status = api.StatusOf(err)
	}
	suspended := false
	if err == nil && !w.Committed() {
		suspended = continuation.Of(r).IsSuspended()
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
	f.cfg.Logger.LogAttrs(r.Context(), f.cfg.Level.Level(), f.cfg.Message+" pass", attrs...)
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

// SetContentType passes the type on (api.ContentTypeSetter): the counter
// keeps no header fields of its own, so the wrapped Response may hold the
// type without a map.
func (c *counter) SetContentType(v string) { api.SetContentType(c.Response, v) }

// Reset discards the buffered body, so the bytes counted so far were never
// sent.
func (c *counter) Reset() error {
	err := c.Response.Reset()
	if err == nil {
		c.n = 0
	}
	return err
}
