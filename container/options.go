package container

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/dispatcher"
)

// DefaultOutputBufferSize is how much of a response body the container
// buffers before committing the head; a body that fits gets a
// Content-Length instead of chunked encoding.
const DefaultOutputBufferSize = 32 << 10

// Option configures a Container.
type Option func(*config)

type config struct {
	logger       *slog.Logger
	asyncTimeout time.Duration
	executor     dispatcher.Executor
	outputBuffer int
	connector    connector.Config
	portable     bool        // WithPortableConnector, whatever the order of options
	h2c          bool        // WithH2C, likewise
	tls          *tls.Config // WithTLSConfig, likewise
	ambiguous    bool        // WithAmbiguousPaths
	maxFormBytes int64
	maxHandlers  int // WithMaxHandlers
	handlerQueue int // WithHandlerQueue
}

// WithLogger sets the logger for errors, panics and connection problems.
// Default: slog.Default().
//
// A request that fails with a 5xx status (the one its error page answered,
// when a page renders it with a 4xx or 5xx; a page's redirect, 206 or 304
// leaves the error's own) is logged as "wharf: request failed" with its
// method, path, client ("remote": the address of the request as the
// filters last passed it on, so the client's behind filters/forwarded, not
// the proxy's), status and error, at a level that says
// whose decision the status was: Warn for a status the handler chose (an
// api.StatusError in the error's chain, such as api.Error(503, ...));
// Error for any other error (answered 500) and for a panic (logged with
// its stack); Debug for a request shed under load (an error that is
// api.ErrShed, such as filters/qos's and filters/timeout's 503s), which
// come by the thousand a second when they come, and for one a shutdown
// sent away (an error that is api.ErrShutdown once Shutdown or Close
// began: the 503 of a suspended request a Shutdown expired, or a
// handler's), which come by the thousand on every deploy, a suspended
// long poll per client. Before then an api.ErrShutdown is logged at Warn:
// it is no deploy's (a session store closed while the container serves
// on answers every request 503 with it). 4xx errors,
// a client that left, and one too slow to take its response (the
// handler returned the write's error after WriteTimeout or the minimum
// response data rate cut it off: the connection is aborted) are not
// logged; requestlog records every
// request. The record carries the context of the request as the filters
// last passed it on (derived from the connection's, or from the one
// net/http's middleware gave ServeHTTP): a trace the telemetry filter
// started, or a request ID a filter put in its context, is on it, for a
// handler that reads them there. So do the records of an error page that
// failed and of a panic, which carry "remote" too. A failure that no dispatch returned (a
// suspended request's timeout, with no re-dispatch) carries the context
// of its latest dispatch, likewise.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithAsyncTimeout sets the default timeout of suspended and async requests.
// Default: 30 s (async.DefaultTimeout); negative means never.
func WithAsyncTimeout(d time.Duration) Option { return func(c *config) { c.asyncTimeout = d } }

// WithExecutor sets the executor that runs requests the connector does not
// run on its producing goroutine, the reserved goroutines of the epoll
// connector's strategy, and the work of requests that left their first
// goroutine: re-dispatches after Resume or a timeout, async tasks,
// completions from other goroutines. A dispatcher.BoundedExecutor bounds
// the work in flight (the resource limit Jetty's thread pool sets); a
// dispatcher.UnboundedExecutor runs every task at once on a goroutine of
// its own, like net/http.
// Default: an UnboundedExecutor that the container owns and closes when it
// stops. A given executor stays the caller's to close, after the container.
func WithExecutor(ex dispatcher.Executor) Option { return func(c *config) { c.executor = ex } }

// WithOutputBufferSize sets the response buffer size. Default:
// DefaultOutputBufferSize (32 KiB). Values below 512 are raised to 512.
func WithOutputBufferSize(n int) Option { return func(c *config) { c.outputBuffer = max(n, 512) } }

// WithConnector sets the HTTP/1.1 connector's limits and timeouts. Default:
// the zero connector.Config, whose fields document their defaults. Its
// Executor, if not nil, is the container's executor, as WithExecutor's
// (which wins over it, whatever the order), and stays the caller's.
func WithConnector(cfg connector.Config) Option { return func(c *config) { c.connector = cfg } }

// WithPortableConnector makes the container serve with the
// goroutine-per-connection connector even where the epoll connector is
// available. Default: epoll on Linux for plain TCP listeners.
func WithPortableConnector() Option { return func(c *config) { c.portable = true } }

// WithH2C accepts HTTP/2 without TLS (h2c) on cleartext listeners, from
// clients that start with the HTTP/2 preface (prior knowledge) or ask with
// "Upgrade: h2c", as connector.Config.H2C does, whatever the order of
// options. Default: off.
func WithH2C() Option { return func(c *config) { c.h2c = true } }

// WithTLSConfig sets the TLS configuration ServeTLS starts from
// (certificates, chosen between by SNI; client authentication; versions),
// as connector.Config.TLSConfig does; it wins over WithConnector's,
// whatever the order. Default: none, so ServeTLS needs certificate files.
func WithTLSConfig(cfg *tls.Config) Option { return func(c *config) { c.tls = cfg } }

// WithMaxFormBytes sets the largest URL-encoded request body that
// api.Request.Form reads; a larger one makes Form fail with
// api.ErrBodyTooLarge, which a handler that returns it answers 413.
// Default: api.DefaultMaxFormBytes (10 MiB); negative means no limit.
func WithMaxFormBytes(n int64) Option { return func(c *config) { c.maxFormBytes = n } }

// WithAmbiguousPaths maps a request path with a percent-escape that
// decodes to '/' or '\' (%2F, %5C) or a segment of escaped dots ("%2e",
// ".%2e", "%2e%2e") as any other: decoded, then cleaned, so that
// "/a%2Fb" is "/a/b" and "/a/%2e%2e/b" is "/b". Without it such a request
// is answered 400 before mapping, on every protocol, and no filter or
// handler sees it: a proxy or firewall in front that matches the path as
// sent (a rule for "/admin/*" does not match "/admin%2Fx") and a router
// that reads the escaped path (URL.RawPath behind api.FromHTTP) would
// otherwise disagree with the mapping about what was asked for. Jetty's
// default URI compliance refuses the same paths. Use it for clients that
// put an escaped '/' in a segment and handlers that expect it decoded.
//
// It also lets through a path with an escaped control character (%01 to
// %1F, %7F), which is otherwise answered 400 the same way: decoded into
// the path, a line feed or an escape sequence reaches whatever logs the
// path or builds a header field or a file name from it. Jetty's default
// refuses those too (its SUSPICIOUS_PATH_CHARACTERS, which has '\' as
// well). An escaped NUL (%00) is answered 400 even with it, as Jetty
// refuses it in every compliance mode: no file name or text holds one.
// Raw control bytes in a request-target are refused by every connector,
// and escapes in the query are the handler's to read: neither is about
// this option.
func WithAmbiguousPaths() Option { return func(c *config) { c.ambiguous = true } }
