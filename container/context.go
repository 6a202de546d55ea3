package container

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/pathmap"
)

// Context is a set of handlers and filters under one context path, with
// init parameters and error pages. Build it before the container starts;
// afterwards it is read-only and safe for concurrent use.
//
// Goroutines: the Handle, Filter, ErrorPage and SetInitParam methods may be
// called from any goroutine but only before Start; they panic afterwards.
// The rest may be called from any goroutine at any time.
type Context struct {
	c    *Container
	path string
	none *api.Route // the Mapping's shared part for a request no pattern matched

	mu       sync.Mutex // guards building; the maps are read lock-free after Start
	handlers pathmap.Map[*route]
	filters  pathmap.Map[*filterGroup]

	nfilters int
	params   map[string]string
	byError  []errorPage
	byStatus map[int]api.Handler
	// pageBlocks says an error page may block (one not declared
	// api.NonBlocking): see chain.
	pageBlocks bool
}

type errorPage struct {
	match func(error) bool
	h     api.Handler
}

func newContext(c *Container, path string) *Context {
	return &Context{c: c, path: path, none: api.NewRoute(path, "", api.MatchNone)}
}

// Path returns the context path: "" for the root context, else "/name".
func (x *Context) Path() string { return x.path }

func (x *Context) building(what string) {
	if x.c.started.Load() {
		panic("container: " + what + " after Start")
	}
}

// Handle maps pattern to h. A pattern is "[METHOD ]PATH" in net/http's
// form ("GET /items/{id}", "POST /items"); without a method it matches
// every method. PATH is a servlet URL pattern: "/exact", "/prefix/*",
// "*.ext", "/" (default), "" (the context root), with {name} segments for
// path parameters. A path with handlers for some methods answers the
// others 405 with Allow (GET's handler also serves HEAD, and OPTIONS is
// answered with Allow unless a handler takes it); see the package
// documentation for the precedence.
//
// Handle panics, as http.ServeMux.Handle does, on a nil handler, a
// malformed pattern, a path ending in '/' (a servlet pattern would match
// only that one path: write "/api/*" for the subtree or "/api"), and a
// pattern that matches the same requests as one registered before
// ("/a/{id}" and "/a/{name}"; "GET /x" twice), naming both. Handlers for
// different methods may name a path's parameters differently.
func (x *Context) Handle(pattern string, h api.Handler) {
	if h == nil {
		panic(fmt.Sprintf("container: context %q: nil handler for %q", x.path, pattern))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building("Handle")
	method, path, err := splitPattern(pattern)
	if err != nil {
		panic(fmt.Sprintf("container: context %q: %v", x.path, err))
	}
	if _, rt, ok := x.handlers.Same(path); ok {
		kind, _ := pathmap.Validate(path) // valid: Same found its shape
		if err := rt.add(method, pattern, path, api.NewRoute(x.path, path, matchKind(kind)), h); err != nil {
			panic(fmt.Sprintf("container: context %q: %v", x.path, err))
		}
		return
	}
	rt := &route{path: path}
	if err := x.handlers.Add(path, rt); err != nil {
		panic(fmt.Sprintf("container: context %q: pattern %q: %v", x.path, pattern, err))
	}
	kind, _ := pathmap.Validate(path) // valid: Add took it
	rt.mapped = api.NewRoute(x.path, path, matchKind(kind))
	_ = rt.add(method, pattern, path, rt.mapped, h) // a new route has no conflict
}

// HandleFunc maps pattern to f.
func (x *Context) HandleFunc(pattern string, f func(w api.Response, r *api.Request) error) {
	if f == nil {
		x.Handle(pattern, nil) // panics naming the pattern
	}
	x.Handle(pattern, api.HandlerFunc(f))
}

// Mount maps pattern to a net/http handler (net/http/pprof, a chi router,
// ...). The handler sees the full request path; use http.StripPrefix to
// serve it under a prefix. As behind a ServeMux, the {name} parameters of
// pattern are its Request.PathValue, and pattern (its path after the
// context's path, the full path the handler sees) is its Request.Pattern,
// which otelhttp names a route by; the context root "" is written "/" and
// "*.json" "/*.json" there, as filters/telemetry writes http.route. A nil
// handler panics, as Handle's does.
func (x *Context) Mount(pattern string, h http.Handler) {
	if h == nil {
		panic(fmt.Sprintf("container: context %q: nil handler for %q", x.path, pattern))
	}
	full := pattern
	if method, path, err := splitPattern(pattern); err == nil {
		// The handler sees the full path; so does its pattern, written as
		// filters/telemetry writes http.route. The context root "" is
		// not left empty, which net/http's Request.Pattern keeps for a
		// request no pattern matched, and "*.ext" is not glued to the
		// context path ("/shop*.json").
		switch {
		case path == "":
			path = "/"
		case strings.HasPrefix(path, "*."):
			path = "/" + path
		}
		full = x.path + path
		if method != "" {
			full = method + " " + full
		}
	}
	x.Handle(pattern, api.FromHTTP(patternHandler{full, h}))
}

// patternHandler gives the requests of h the pattern it was mounted on, as
// a ServeMux sets Request.Pattern: otelhttp takes a request's http.route
// from it, and handlers their metrics' labels.
type patternHandler struct {
	pattern string
	h       http.Handler
}

func (p patternHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Pattern = p.pattern // r is FromHTTP's own, made for this request
	p.h.ServeHTTP(w, r)
}

// Filter maps f to pattern. A request passes through every filter whose
// pattern matches it, in the order they were added, whatever their
// patterns ("/*" added after "/hello" runs inside it, and never runs for a
// request the "/hello" filter answers), then reaches its handler.
// FilterFirst adds a filter ahead of every filter Filter adds; the package
// documentation draws the model. The same pattern may carry several
// filters. Patterns are those of Handle: "POST /api/*" filters only POST
// requests under /api (a GET filter also sees HEAD), so a security filter
// is written without a method, or "GET /admin/*" would leave POST
// unguarded. Filter panics on a nil filter and on a pattern Handle would
// refuse; a path ending in '/' is refused in particular, since "/api/"
// would guard the one path "/api/" and leave "/api/items" unguarded.
func (x *Context) Filter(pattern string, f api.Filter) { x.addFilter("Filter", pattern, f, false) }

// addFilter adds f for pattern: to the outer filters (FilterFirst) if
// first, else to the others (Filter). what names the method for panics.
func (x *Context) addFilter(what, pattern string, f api.Filter, first bool) {
	if f == nil {
		panic(fmt.Sprintf("container: context %q: nil filter for %q", x.path, pattern))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building(what)
	method, path, err := splitPattern(pattern)
	if err != nil {
		panic(fmt.Sprintf("container: context %q: %v", x.path, err))
	}
	x.nfilters++
	fe := filterEntry{seq: x.nfilters, first: first, method: method, f: f}
	// A path pattern may carry several filters: they share one map entry,
	// also under other parameter names (filters see the handler's).
	if _, g, ok := x.filters.Same(path); ok {
		g.filters = append(g.filters, fe)
		return
	}
	g := &filterGroup{pattern: path, filters: []filterEntry{fe}}
	if err := x.filters.Add(path, g); err != nil {
		panic(fmt.Sprintf("container: context %q: filter pattern %q: %v", x.path, pattern, err))
	}
}

type filterEntry struct {
	seq    int    // order of registration in the context, from 1
	first  bool   // added by FilterFirst: ahead of every filter added by Filter
	method string // "" for every method
	f      api.Filter
}

// compareFilters orders a chain's filters, outermost first: those added by
// FilterFirst, then the others, each in the order added.
func compareFilters(a, b filterEntry) int {
	if a.first != b.first {
		if a.first {
			return -1
		}
		return 1
	}
	return a.seq - b.seq
}

type filterGroup struct {
	pattern string
	filters []filterEntry
}

// FilterFunc maps f to pattern.
func (x *Context) FilterFunc(pattern string, f func(w api.Response, r *api.Request, next api.Chain) error) {
	if f == nil {
		x.Filter(pattern, nil) // panics naming the pattern
	}
	x.Filter(pattern, api.FilterFunc(f))
}

// SetInitParam sets an init parameter of the context.
func (x *Context) SetInitParam(name, value string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building("SetInitParam")
	if x.params == nil {
		x.params = make(map[string]string)
	}
	x.params[name] = value
}

// InitParam returns the init parameter name, or "".
func (x *Context) InitParam(name string) string {
	// Under the lock: unlike the mappings, which only requests read, once
	// Start froze them, InitParam may run while SetInitParam writes the
	// map, before Start.
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.params[name]
}

// ErrorPage renders responses with the given status (for example 404, or
// 500 for failures). The handler receives the failed request with the error
// available through ErrorOf; the status is already set. That request is
// the one of the initial dispatch, as the container mapped it: requests
// are immutable, so neither the attributes a filter added to the request
// it passed down the chain (r.WithAttribute) nor a Resume's are on it.
// Nor are its Range and precondition fields (If-Match, If-None-Match,
// If-Modified-Since, If-Unmodified-Since, If-Range): they were about the
// answer that failed, and a page that forwards to a file would answer
// them with a part of the page or a 304 in place of the error.
// A page runs where the failed request's chain ran: one not declared
// api.NonBlocking makes the context's chains count as blocking.
//
// A page that forwards (dispatcher.Forward) or includes has its target
// served as a GET, or a HEAD for a HEAD, whatever the method that failed:
// the target is a page to read ("GET /errors/*", a file handler), which
// would answer a POST's failure 405. So is a page that is such a handler
// itself (an api.ReadOnlyHandler, as static.Handler is); any other page
// sees the method that failed.
func (x *Context) ErrorPage(status int, h api.Handler) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building("ErrorPage")
	if x.byStatus == nil {
		x.byStatus = make(map[int]api.Handler)
	}
	x.byStatus[status] = h
	x.notePage(h)
}

// notePage records whether page h may block. Under x.mu.
func (x *Context) notePage(h api.Handler) {
	if h != nil && api.InvocationTypeOf(h) != api.NonBlocking {
		x.pageBlocks = true
	}
}

// ErrorPageFor renders failures whose error matches target (errors.Is).
// Error matches are tried before status pages, in the order added.
func (x *Context) ErrorPageFor(target error, h api.Handler) {
	x.errorPageFunc(func(err error) bool { return errors.Is(err, target) }, h)
}

// ErrorPageAs renders failures that have an error of type E in their chain
// (errors.As). ErrorPageAs[error] matches every failure: the catch-all of
// an API that answers its errors in one format (ExampleErrorPageAs_json).
func ErrorPageAs[E error](x *Context, h api.Handler) {
	x.errorPageFunc(func(err error) bool {
		var e E
		return errors.As(err, &e)
	}, h)
}

func (x *Context) errorPageFunc(match func(error) bool, h api.Handler) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building("ErrorPage")
	x.byError = append(x.byError, errorPage{match: match, h: h})
	x.notePage(h)
}

// errorPageFor finds the page for a failure.
func (x *Context) errorPageFor(err error, status int) api.Handler {
	for _, p := range x.byError {
		if p.match(err) {
			return p.h
		}
	}
	return x.byStatus[status]
}

// pathInContext strips the context path; ok is false if path is not inside.
func (x *Context) pathInContext(path string) (string, bool) {
	if x.path == "" {
		return path, true
	}
	if !strings.HasPrefix(path, x.path) {
		return "", false
	}
	rest := path[len(x.path):]
	switch {
	case rest == "":
		return "/", true
	case rest[0] == '/':
		return rest, true
	}
	return "", false
}

// Resolve implements dispatcher.Resolver. The handler it returns picks
// among the path's method handlers when it serves.
func (x *Context) Resolve(pathInContext string, withFilters bool) (api.Handler, api.Mapping, bool) {
	m, ok := x.handlers.Match(pathInContext)
	if !ok {
		return nil, api.Mapping{}, false
	}
	var h api.Handler = m.Value
	if withFilters {
		h = &methodChain{x: x, rt: m.Value, path: pathInContext}
	}
	return h, x.mapping(m), true
}

// methodChain is a route with its filters for a forward, where the method
// is known only when it serves.
type methodChain struct {
	x    *Context
	rt   *route
	path string
}

func (c *methodChain) Serve(w api.Response, r *api.Request) error {
	r = errorTarget(r) // the filters see the method the handler does
	h, own := c.rt.handler(r.Method())
	chain, _ := c.x.chain(h, c.path, r.Method())
	return chain.Serve(w, withNaming(r, own))
}

// resolve maps a request: the handler for its method on the best path
// pattern, and the mapping. ok is false if no path pattern matches.
func (x *Context) resolve(method, pathInContext string) (api.Handler, api.Mapping, bool) {
	m, ok := x.handlers.Match(pathInContext)
	if !ok {
		return nil, api.Mapping{}, false
	}
	h, own := m.Value.handler(method)
	am := x.mapping(m)
	own.apply(&am) // the handler's registration names them
	return h, am, true
}

// matchKind converts pathmap's kind to api's: two enums of their own
// packages (pathmap is pure and imports nothing of ours), matched by name
// rather than by their numbering.
func matchKind(k pathmap.Kind) api.MatchKind {
	switch k {
	case pathmap.Exact:
		return api.MatchExact
	case pathmap.Prefix:
		return api.MatchPrefix
	case pathmap.Extension:
		return api.MatchExtension
	case pathmap.Default:
		return api.MatchDefault
	}
	return api.MatchNone
}

func (x *Context) mapping(m pathmap.Match[*route]) api.Mapping {
	var params []api.Param
	if len(m.Params) > 0 {
		params = make([]api.Param, len(m.Params))
		for i, p := range m.Params {
			params[i] = api.Param{Name: p.Name, Value: p.Value}
		}
	}
	return m.Value.mapped.Map(m.ServletPath, m.PathInfo, params)
}

// chain wraps h in the filters mapped to pathInContext and method, and
// says how the whole may be invoked: NonBlocking only if h and every one
// of those filters declare it (api.Invoker).
func (x *Context) chain(h api.Handler, pathInContext, method string) (api.Handler, api.InvocationType) {
	inv := api.InvocationTypeOf(h)
	if x.pageBlocks {
		// A failure of the chain (the 405 the container answers itself,
		// a NonBlocking handler's error or panic) is rendered by an
		// error page where the chain ran: on the epoll connector's
		// producer for a NonBlocking chain, which a page that blocks
		// would stall, with every connection it polls.
		inv = api.Blocking
	}
	if x.filters.Len() == 0 {
		return h, inv
	}
	var buf [8]pathmap.Match[*filterGroup]
	ms := x.filters.AppendMatches(buf[:0], pathInContext)
	if len(ms) == 0 {
		return h, inv
	}
	var fes []filterEntry
	for _, m := range ms {
		for _, fe := range m.Value.filters {
			if methodMatches(fe.method, method) {
				fes = append(fes, fe)
			}
		}
	}
	if len(fes) == 0 {
		return h, inv
	}
	slices.SortFunc(fes, compareFilters)
	fs := make([]api.Filter, len(fes))
	for i, fe := range fes {
		fs[i] = fe.f
		if api.InvocationTypeOf(fe.f) != api.NonBlocking {
			inv = api.Blocking
		}
	}
	return compose(h, fs), inv
}

// compose is api.Compose for a request's chain, with its links in one
// allocation: each notes in the first the request it passes on, so that
// a failure is logged with the context of the request that failed, as
// the filters derived it (filters/telemetry's span), not with the
// container's (exchange.LogRequest). The note is kept there rather than
// in the exchange, whose size class has no word to spare.
func compose(h api.Handler, fs []api.Filter) api.Handler {
	links := make([]link, len(fs))
	for i := len(fs) - 1; i >= 0; i-- {
		links[i] = link{f: fs[i], next: h, first: &links[0]}
		h = &links[i]
	}
	return h
}

type link struct {
	f     api.Filter
	next  api.Handler
	first *link
	// passed is the request the chain last passed on, in the first link;
	// atomic, as a filter may run the rest of the chain on a goroutine
	// of its own (filters/timeout).
	passed atomic.Pointer[api.Request]
}

func (l *link) Serve(w api.Response, r *api.Request) error { return l.f.Filter(w, r, l) }

func (l *link) Next(w api.Response, r *api.Request) error {
	l.first.passed.Store(r)
	return l.next.Serve(w, r)
}
