package container

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/dispatcher"
	engine "github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/httppath"
	"github.com/wharf-go/wharf/internal/pathmap"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

// ErrServerClosed is returned by Serve, ServeTLS, ListenAndServe and
// ListenAndServeTLS after Shutdown or Close. It is
// connector.ErrServerClosed, so that a program needs to import only this
// package, and both are net/http's http.ErrServerClosed: any of the three
// names matches, with errors.Is or ==.
var ErrServerClosed = connector.ErrServerClosed

// Container holds contexts and serves their requests.
//
// Goroutines: every method may be called from any goroutine. Context and the
// Handle/Filter helpers are for building, before Start.
type Container struct {
	cfg        config
	asyncCfg   engine.Config
	outBufs    outBufs  // the outputs' buffer size and pool
	onShutdown []func() // RegisterOnShutdown, under mu

	mu       sync.Mutex
	contexts []*Context // longest path first once started
	started  atomic.Bool
	shutting atomic.Bool
	servers  []*registered // RegisterServer, under mu

	srv connector.Server

	live     liveSet      // requests not yet completed
	taken    takenOverSet // connections taken over (WebSocket), for Shutdown
	lim      limiter      // WithMaxHandlers
	ownExec  *dispatcher.UnboundedExecutor
	active   atomic.Int64
	requests atomic.Int64
	// hijacking counts the requests counted out at their Hijack whose
	// handlers still run (countOut): Shutdown does not wait for them.
	hijacking atomic.Int64
	// drained wakes Shutdown when the last live request completes, so it
	// returns at that moment rather than at its next poll.
	drained chan struct{}
	// closed is cancelled by Close: it ends the waits of a Shutdown under
	// way, as net/http's Close ends its Shutdown's.
	closed     context.Context
	closeWaits context.CancelFunc
}

// New returns a container with a root context and the given options.
func New(opts ...Option) *Container {
	c := &Container{drained: make(chan struct{}, 1)}
	c.closed, c.closeWaits = context.WithCancel(context.Background())
	c.cfg.outputBuffer = DefaultOutputBufferSize
	for _, o := range opts {
		o(&c.cfg)
	}
	c.outBufs.size = c.cfg.outputBuffer
	if c.cfg.logger == nil {
		c.cfg.logger = slog.Default()
	}
	if c.cfg.portable {
		c.cfg.connector.Portable = true
	}
	if c.cfg.h2c {
		c.cfg.connector.H2C = true
	}
	plugProtocols(&c.cfg.connector)
	if c.cfg.tls != nil {
		c.cfg.connector.TLSConfig = c.cfg.tls
	}
	if c.cfg.connector.Logger == nil {
		c.cfg.connector.Logger = c.cfg.logger
	}
	if c.cfg.executor == nil {
		// One given in the connector's configuration is the caller's
		// choice as much as WithExecutor's: replacing it would lift the
		// bound a dispatcher.BoundedExecutor sets, without a word.
		c.cfg.executor = c.cfg.connector.Executor
	}
	if c.cfg.executor == nil {
		c.ownExec = dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{Logger: c.cfg.logger})
		c.cfg.executor = c.ownExec
	}
	c.cfg.connector.Executor = c.cfg.executor
	c.lim.init(c.cfg.maxHandlers, c.cfg.handlerQueue)
	// Timeouts go through the executor too: a timer's goroutine is new
	// each time, so the deep work of a re-dispatch would grow its stack
	// from scratch, where an executor goroutine is reused, stack and all.
	// Suspend timeouts go in the wheel of the selector polling the
	// request's connection (exchange.TimerWheel); the others' (HTTP/2,
	// HTTP/3, the portable connector) share this one, driven by one
	// runtime timer.
	c.asyncCfg = engine.Config{Execute: c.execute, Timeout: c.cfg.asyncTimeout, Logger: c.cfg.logger, Wheel: timerwheel.NewRuntime()}
	c.srv.Handler = c
	c.srv.Config = c.cfg.connector
	c.contexts = []*Context{newContext(c, "")}
	return c
}

// Context returns the context at path, creating it if needed. "" and "/" are
// the root context. Other paths must start with '/', not end with '/', and
// be clean (no empty, "." or ".." segment); they are written decoded, as
// patterns are ("/café", not "/caf%C3%A9", which would match only a
// request for "/caf%25C3%25A9"): a "%XX" escape panics, with the decoded
// path as a hint. A context path is literal, so a '{' or '}' panics too:
// "/{tenant}" binds no parameter, as a pattern's segment does (map
// "/{tenant}/*" in the root context instead).
// A context is a web application of its own, as a servlet context is, not
// a route group: a request under its path is served by its handlers,
// filters and error pages alone, none of the root's (add those it needs to
// it as well, or use Contexts). To share filters under a prefix, map them
// on "/api/*" in the root context instead.
func (c *Container) Context(path string) *Context {
	if path == "/" {
		path = ""
	}
	// Request paths are cleaned before a context is picked, so a path
	// with an empty or dot segment ("/a//b", "/a/../b") would never match.
	if path != "" && (!strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") || strings.ContainsAny(path, "*?#") || httppath.Clean(path) != path) {
		panic("container: bad context path " + path)
	}
	if strings.ContainsAny(path, "{}") {
		// A context path is matched as written: "/{tenant}" would serve
		// only a request for "/%7Btenant%7D", and the requests meant for
		// it would go to the root context, as if it were not there.
		panic("container: bad context path " + strconv.Quote(path) + ": a context path has no {name} parameters: map the pattern " + strconv.Quote(path+"/*") + " in the root context and read Request.PathParam")
	}
	if pathmap.EscapeAt(path) >= 0 {
		// Request paths are decoded before a context is picked, so
		// "/caf%C3%A9" would serve only a request for "/caf%25C3%25A9":
		// the author meant "/café", as a pattern's escape means its
		// decoded form (and is refused for it).
		panic("container: bad context path " + path + ": a percent-escape, and request paths are decoded before a context is picked: write the decoded path " + strconv.Quote(pathmap.Unescape(path)))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.contexts {
		if x.path == path {
			return x
		}
	}
	if c.started.Load() {
		panic("container: Context after Start")
	}
	x := newContext(c, path)
	c.contexts = append(c.contexts, x)
	return x
}

// Root returns the root context.
func (c *Container) Root() *Context { return c.Context("") }

// The registration methods of the root context, so that a container with
// one context needs no Root() call: each does what the Context method of
// the same name does.

// Handle maps pattern to h in the root context (see Context.Handle).
func (c *Container) Handle(pattern string, h api.Handler) { c.Root().Handle(pattern, h) }

// HandleFunc maps pattern to f in the root context.
func (c *Container) HandleFunc(pattern string, f func(w api.Response, r *api.Request) error) {
	c.Root().HandleFunc(pattern, f)
}

// Mount maps pattern to a net/http handler in the root context (see
// Context.Mount).
func (c *Container) Mount(pattern string, h http.Handler) { c.Root().Mount(pattern, h) }

// Filter maps f to pattern in the root context (see Context.Filter).
func (c *Container) Filter(pattern string, f api.Filter) { c.Root().Filter(pattern, f) }

// FilterFunc maps f to pattern in the root context.
func (c *Container) FilterFunc(pattern string, f func(w api.Response, r *api.Request, next api.Chain) error) {
	c.Root().FilterFunc(pattern, f)
}

// ErrorPage renders responses with the given status in the root context
// (see Context.ErrorPage).
func (c *Container) ErrorPage(status int, h api.Handler) { c.Root().ErrorPage(status, h) }

// ErrorPageFor renders failures whose error matches target in the root
// context (see Context.ErrorPageFor). For a match by type, use
// ErrorPageAs with c.Root().
func (c *Container) ErrorPageFor(target error, h api.Handler) { c.Root().ErrorPageFor(target, h) }

// SetInitParam sets an init parameter of the root context.
func (c *Container) SetInitParam(name, value string) { c.Root().SetInitParam(name, value) }

// InitParam returns the root context's init parameter name, or "".
func (c *Container) InitParam(name string) string { return c.Root().InitParam(name) }

// Start freezes the contexts and their mappings. Serve, ListenAndServe and
// ServeHTTP call it; calling it again does nothing.
func (c *Container) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started.Load() {
		return nil
	}
	sort.SliceStable(c.contexts, func(i, j int) bool { return len(c.contexts[i].path) > len(c.contexts[j].path) })
	// Building happened under each context's mutex; the atomic store below
	// publishes the finished maps to the readers that load started first.
	c.started.Store(true)
	return nil
}

// Serve serves HTTP/1.1 on l until Shutdown or Close. It returns
// ErrServerClosed as soon as either begins, as net/http's does, while a
// graceful Shutdown still waits for requests, streams and WebSockets to
// end: a program whose main returns when Serve does cuts them off (its
// WebSockets' OnClose never runs), so it waits for Shutdown to return
// instead, as the README's shutdown example does. A listener made with
// connector.NewTLSListener is served over TLS as ServeTLS serves; one made
// with crypto/tls's tls.NewListener hides its connections' sockets, and is
// served by the portable connector, a goroutine per connection. As
// net/http's Serve, it closes l before it returns, whatever the error.
func (c *Container) Serve(l net.Listener) error {
	if c.shutting.Load() {
		// Before anything else can fail: a TLS listener without a
		// certificate would say so, where the caller waits for this.
		l.Close()
		return ErrServerClosed
	}
	if err := c.Start(); err != nil {
		l.Close()
		return err
	}
	return c.srv.Serve(l)
}

// ServeTLS is Serve over TLS: HTTP/1.1, and HTTP/2 for clients that ask for
// it through ALPN. The certificates are those of the connector's
// TLSConfig (see WithConnector) plus, if certFile and keyFile are not
// empty, that PEM pair; several are chosen between by SNI. It returns
// connector.ErrNoCertificate when there is none.
func (c *Container) ServeTLS(l net.Listener, certFile, keyFile string) error {
	if c.shutting.Load() {
		l.Close() // as Serve: no certificate is looked for
		return ErrServerClosed
	}
	if err := c.Start(); err != nil {
		return err
	}
	return c.srv.ServeTLS(l, certFile, keyFile)
}

// ListenAndServe listens on the TCP address addr and serves on it; like
// Serve, it returns ErrServerClosed as soon as Shutdown begins, not when
// Shutdown is done.
func (c *Container) ListenAndServe(addr string) error {
	if c.shutting.Load() {
		// Not even for a moment: the port may be another server's now.
		return ErrServerClosed
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return c.Serve(l) // which closes l
}

// ListenAndServeTLS listens on the TCP address addr and serves TLS on it,
// as ServeTLS does with certFile and keyFile: HTTP/1.1, and HTTP/2 for
// clients that ask for it. Package h3's ListenAndServeTLS serves HTTP/3
// too, on the same port.
func (c *Container) ListenAndServeTLS(addr, certFile, keyFile string) error {
	if c.shutting.Load() {
		return ErrServerClosed // as ListenAndServe: the port is not bound
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer l.Close() // ServeTLS leaves it open when it fails before serving
	return c.ServeTLS(l, certFile, keyFile)
}

// Shutdown shuts the server down gracefully. It stops accepting
// connections, closes idle ones, and waits until every request has
// completed and every connection is closed, or ctx is done:
//
//   - a request running its handler or an async task is left to finish;
//   - a request in async mode (async.Start) whose answer is on its way is
//     left to finish too: its tasks still run and write;
//   - a suspended continuation (continuation.Suspend or Await), which only
//     waits for an event such as a long poll's message, is expired at
//     once through its timeout path (OnTimeout listeners, then the expired
//     re-dispatch or the timeout error), so that its client gets an answer
//     now and reconnects to another instance; one that suspends during the
//     shutdown is expired as it suspends.
//
// A request chooses the other behaviour with SetOnShutdown
// (async.ShutdownWait, async.ShutdownExpire). When ctx ends first,
// everything still suspended is expired, Shutdown waits a moment (a
// second at most) for those expiries to answer, and returns ctx's error;
// Close then ends what is left.
//
// A connection taken over from a request that joined the shutdown (every
// WebSocket of package websocket does) is told to close at once — a
// WebSocket sends its close frame, 1001 — and once the requests are done,
// Shutdown waits for those connections to end (their close handshakes),
// within ctx. Other hijacked connections are not tracked: as with
// net/http's Shutdown, a request whose handler hijacked its connection
// (a mounted gorilla/websocket Upgrader's) stops counting at the Hijack,
// and Shutdown waits neither for the connection nor for that handler,
// which runs on with it; close them from a RegisterOnShutdown function.
// A Server registered with RegisterServer (package h3's) shuts down
// beside the connector, with the same ctx, and Shutdown waits for it too.
//
// Close, called meanwhile, ends the wait: Shutdown then returns nil, as
// net/http's does, and what was left (a handler still running) is
// Close's.
func (c *Container) Shutdown(ctx context.Context) (err error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.closed, cancel)
	defer stop()
	defer func() {
		if err != nil && parent.Err() == nil && c.closed.Err() != nil {
			err = nil // the wait ended by Close's hand, not ctx's
		}
	}()
	c.shutting.Store(true)
	c.runOnShutdown()
	c.taken.shutdownAll()
	waitServers := c.shutdownServers(ctx)

	// Expire what waits for an event now, and keep expiring what suspends
	// while we wait: a request resumed by an event may suspend again. A
	// request that starts suspended during shutdown is expired by
	// ServeStream.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		c.expireSuspended(false)
		if c.active.Load() == 0 {
			break
		}
		select {
		case <-tick.C:
		case <-c.drained:
		case <-ctx.Done():
			// Out of time: nothing waits any more. Let the expiries
			// answer (a caller's Close would drop them), a moment at most.
			c.awaitAnswers(c.expireSuspended(true), expiryGrace)
			waitServers()
			return ctx.Err()
		}
	}
	err = waitServers()
	if err == nil {
		// No request is left to take a connection over: wait for those
		// taken over to finish closing.
		err = c.taken.wait(ctx)
	}
	if err == nil && c.ownExec != nil {
		if c.hijacking.Load() > 0 {
			// A handler that hijacked its connection may run on one of
			// the executor's goroutines for as long as it keeps the
			// connection, which Shutdown does not wait for.
			stopExecutor(c.ownExec)
		} else {
			err = c.ownExec.Close(ctx) // wait for the last tasks (listeners, say)
		}
	}
	return err
}

// stopExecutor closes ex, which takes no more work, without waiting for
// what it runs.
func stopExecutor(ex *dispatcher.UnboundedExecutor) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ex.Close(ctx)
}

// ShuttingDown reports whether Shutdown or Close was called. Any goroutine
// may call it.
func (c *Container) ShuttingDown() bool { return c.shutting.Load() }

// RegisterOnShutdown registers f to run when Shutdown or Close is first
// called, on a goroutine of its own, as net/http's does: for what the
// container does not track, such as connections hijacked by a handler of
// your own (package websocket's join Shutdown by themselves).
// Any goroutine may call it.
func (c *Container) RegisterOnShutdown(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onShutdown = append(c.onShutdown, f)
}

func (c *Container) runOnShutdown() {
	c.mu.Lock()
	fs := c.onShutdown
	c.onShutdown = nil
	c.mu.Unlock()
	for _, f := range fs {
		go f()
	}
}

// expireSuspended expires the suspended requests a shutdown should not
// wait for, or all of them, and returns those it expired.
func (c *Container) expireSuspended(all bool) []*exchange {
	var expired []*exchange
	for _, x := range c.live.snapshot() {
		if x.ax.ExpireForShutdown(all) == nil {
			expired = append(expired, x)
		}
	}
	return expired
}

// expiryGrace is how long Shutdown, out of time, still waits for the
// requests it expired last to answer through their timeout path: the
// usual next step, Close, would cut those answers off.
const expiryGrace = time.Second

// awaitAnswers waits until every exchange of xs has completed, or for d.
func (c *Container) awaitAnswers(xs []*exchange, d time.Duration) {
	if len(xs) == 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for _, x := range xs {
		select {
		case <-x.ax.Done():
		case <-t.C:
			return
		}
	}
}

// Close closes every listener and connection, those of the Servers
// registered with RegisterServer too, and completes every request still
// live, without waiting; a request whose handler hijacked its connection
// is not live any more, and its connection is not closed. Connections
// taken over that joined the shutdown (WebSocket) are told to close, as
// by Shutdown, and not waited for. A request that a net/http server drives (ServeHTTP; package h3's
// HTTP/3) is on a connection the container cannot close: its response is
// aborted (http.ErrAbortHandler), so that its client sees it cut off, as
// on Wharf's connectors, not a complete answer.
func (c *Container) Close() error {
	c.shutting.Store(true)
	c.closeWaits()
	c.runOnShutdown()
	c.taken.shutdownAll()
	err := c.closeServers()
	for _, x := range c.live.snapshot() {
		if hs, ok := x.out.s.(*httpStream); ok {
			hs.cutOff() // a connection of net/http's, which closeServers did not close
		}
		x.ctx.cancel()
		x.completeByShutdown()
	}
	if c.ownExec != nil {
		stopExecutor(c.ownExec)
	}
	return err
}

// Stats is a snapshot of the container's requests, connections and
// executor: the figures of Jetty's thread-pool report.
type Stats struct {
	Requests    int64 // requests started since New
	Active      int64 // requests not yet completed, less those whose handler hijacked the connection (from the Hijack on)
	Suspended   int64 // of which suspended, holding no goroutine
	Handlers    int64 // requests running their first dispatch, against WithMaxHandlers (0 without a limit)
	Queued      int64 // requests waiting for one of those places, holding no goroutine
	Rejected    int64 // requests answered 503 since New because the queue was full
	Connections connector.Stats
	Executor    dispatcher.ExecutorStats
}

// Stats returns a snapshot.
func (c *Container) Stats() Stats {
	st := Stats{Requests: c.requests.Load(), Active: c.active.Load(), Connections: c.srv.Stats(), Executor: c.cfg.executor.Stats()}
	st.Handlers, st.Queued, st.Rejected = c.lim.counts()
	for _, x := range c.live.snapshot() {
		if x.ax.Suspended() {
			st.Suspended++
		}
	}
	return st
}

// execute runs work of a request that left its first goroutine (a resumed
// dispatch, an async task, a timeout) on the executor, as a Blocking task.
// Refused work runs on a goroutine of its own: a request is never stranded.
func (c *Container) execute(f func()) {
	if err := c.cfg.executor.Execute(dispatcher.Task{Run: f, Type: api.Blocking}); err != nil {
		go f()
	}
}

// findContext returns the context for path and the path within it.
func (c *Container) findContext(path string) (*Context, string) {
	for _, x := range c.contexts {
		if p, ok := x.pathInContext(path); ok {
			return x, p
		}
	}
	return nil, ""
}

var errNotFound = &api.StatusError{Code: http.StatusNotFound}

// serverOptions answers "OPTIONS *" as net/http does: 200, no body; the
// asterisk with any other method is a 400.
var serverOptions = api.HandlerFunc(func(w api.Response, r *api.Request) error {
	if r.Method() != http.MethodOptions {
		return api.Error(http.StatusBadRequest, "only OPTIONS may use the asterisk form")
	}
	w.Header().Set("Content-Length", "0")
	return nil
})

// The errors a request path is refused with before mapping (badPath);
// the text of each reaches the client.
var (
	errAmbiguousPath = &api.StatusError{Code: http.StatusBadRequest, Err: errors.New("ambiguous path: an escaped '/' or '\\', or an escaped dot segment")}
	errControlPath   = &api.StatusError{Code: http.StatusBadRequest, Err: errors.New("path has an escaped control character (%00 to %1F, %7F)")}
	errNULPath       = &api.StatusError{Code: http.StatusBadRequest, Err: errors.New("path has an escaped NUL (%00)")}
)

// The handlers that answer those errors.
var (
	ambiguousPath api.Handler = api.HandlerFunc(func(api.Response, *api.Request) error { return errAmbiguousPath })
	controlPath   api.Handler = api.HandlerFunc(func(api.Response, *api.Request) error { return errControlPath })
	nulPath       api.Handler = api.HandlerFunc(func(api.Response, *api.Request) error { return errNULPath })
)

// badPath returns the handler that refuses request-target t for the
// escapes in its path as sent, or nil: an escaped NUL always, as Jetty
// refuses it whatever its URI compliance; an escaped control character
// or an ambiguous escape (httppath.Ambiguous) unless ambiguous
// (WithAmbiguousPaths). Most targets have no escape, and cost one scan.
func badPath(t string, ambiguous bool) api.Handler {
	if strings.IndexByte(t, '%') < 0 {
		return nil
	}
	if i := strings.IndexByte(t, '?'); i >= 0 {
		t = t[:i] // a query is the handler's to read
	}
	if !strings.HasPrefix(t, "/") {
		t = absolutePath(t)
	}
	return badPaths[httppath.Refused(t, ambiguous)]
}

// absolutePath returns what follows the scheme and the authority of an
// absolute-form target (its query cut off already): the part net/url
// reads the path from. Wharf's connectors take "http://" and "https://"
// targets only, but net/http's server, driving the container through
// ServeHTTP, also takes a target without an authority ("http:/a%00",
// "foo:/a%2Fb") and maps its path: looking for "://" alone let such a
// path's escaped NUL reach the filters and handlers. A target with no
// path after its authority has none to refuse.
func absolutePath(t string) string {
	if i := strings.IndexByte(t, ':'); i >= 0 {
		t = t[i+1:] // the scheme
	}
	if !strings.HasPrefix(t, "//") {
		return t // "/a" or an opaque "a", which the URL's Path leaves out
	}
	i := strings.IndexByte(t[2:], '/')
	if i < 0 {
		return ""
	}
	return t[2+i:]
}

// badPaths answers each httppath.Refusal; nil: not refused.
var badPaths = [...]api.Handler{
	httppath.RefusedNUL:       nulPath,
	httppath.RefusedControl:   controlPath,
	httppath.RefusedAmbiguous: ambiguousPath,
}

// notFound answers requests no pattern matches.
var notFound = api.HandlerFunc(func(api.Response, *api.Request) error { return errNotFound })

// ServeStream implements connector.Handler: it builds the request, maps it,
// and runs its initial dispatch on the calling goroutine.
func (c *Container) ServeStream(s connector.Stream) { c.prepare(s).Start() }

// Prepare implements connector.Preparer: it builds the request and maps
// it, once, so that the connector can tell from the mapping where the
// request may run (a handler and every filter on its way declared
// api.NonBlocking, or not) and then start it there.
func (c *Container) Prepare(s connector.Stream) connector.Prepared { return c.prepare(s) }

func (c *Container) prepare(s connector.Stream) *exchange {
	if !c.started.Load() {
		c.Start()
	}
	head := s.Request()
	if c.cfg.maxFormBytes != 0 {
		head.MaxFormBytes = c.cfg.maxFormBytes
	}
	x := new(exchange)
	x.out.init(s, &c.outBufs)
	x.ax.Init(x, &x.out, &c.asyncCfg) // Finish cancels x.ctx

	var m api.Mapping
	// The root context matches every path, so there always is a context.
	x.ctxt, m.ServletPath = c.findContext(head.Path)
	if bad := badPath(head.Target, c.cfg.ambiguous); bad != nil {
		// Here rather than in the connectors, so that net/http's server
		// and HTTP/3 refuse it too; and before the filters, since those
		// the decoded path maps are what the ambiguity is about, and a
		// filter that logs or checks the path would see the control
		// character.
		m = x.ctxt.none.Map(m.ServletPath, "", nil)
		x.chain = bad
	} else if head.Target == "*" {
		// "OPTIONS *" asks about the server, not a resource (RFC 9110
		// §9.3.7); other methods cannot use the asterisk form.
		m = x.ctxt.none.Map("*", "", nil)
		x.chain = serverOptions
	} else if h, mm, ok := x.ctxt.resolve(head.Method, m.ServletPath); ok {
		m = mm
		pathInContext := m.ServletPath
		if m.PathInfo != "" { // nothing to join for an exact match, the common case
			pathInContext += m.PathInfo
		}
		x.chain, x.inv = x.ctxt.chain(h, pathInContext, head.Method)
	} else {
		m = x.ctxt.none.Map(m.ServletPath, "", nil)
		x.chain, _ = x.ctxt.chain(notFound, m.ServletPath, head.Method)
	}
	var ctx context.Context = &x.ctx
	if hs, ok := s.(*httpStream); ok {
		ctx = &valuesContext{requestContext: &x.ctx, values: hs.r.Context()}
	}
	x.ax.Prepare(x.req.Init(ctx, head, m, x))
	x.limited = c.lim.on() && x.inv != api.NonBlocking
	s.Watch(x) // once limited is known: a client gone already is ClientGone now
	return x
}

// completed is called once per exchange, after its response is finished
// and its OnComplete listeners have run.
func (c *Container) completed(x *exchange) {
	if x.entered {
		c.countOut(x)
	} else {
		c.hijacking.Add(-1) // counted out at its Hijack, and its handler returned
	}
}

// countOut takes x out of the live requests, once: when it completes, or
// earlier when its handler hijacked the connection (exchange.Hijacked).
func (c *Container) countOut(x *exchange) {
	x.entered = false
	c.live.remove(x)
	if c.active.Add(-1) == 0 && c.shutting.Load() {
		select {
		case c.drained <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}
