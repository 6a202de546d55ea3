package container

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

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

	mu       sync.Mutex // guards building; the maps are read lock-free after Start
	handlers pathmap.Map[api.Handler]
	filters  pathmap.Map[*filterGroup]

	filterGroups []*filterGroup
	nfilters     int
	params       map[string]string
	byError      []errorPage
	byStatus     map[int]api.Handler
}

type errorPage struct {
	match func(error) bool
	h     api.Handler
}

// Path returns the context path: "" for the root context, else "/name".
func (x *Context) Path() string { return x.path }

func (x *Context) building(what string) {
	if x.c.started.Load() {
		panic("container: " + what + " after Start")
	}
}

// Handle maps pattern to h. Patterns are servlet URL patterns: "/exact",
// "/prefix/*", "*.ext", "/" (default), "" (the context root), with {name}
// segments for path parameters. An invalid or duplicate pattern panics, as
// http.ServeMux.Handle does.
func (x *Context) Handle(pattern string, h api.Handler) {
	if h == nil {
		panic("container: nil handler for " + pattern)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building("Handle")
	if err := x.handlers.Add(pattern, h); err != nil {
		panic(fmt.Sprintf("container: context %q: %v", x.path, err))
	}
}

// HandleFunc maps pattern to f.
func (x *Context) HandleFunc(pattern string, f func(w api.Response, r *api.Request) error) {
	x.Handle(pattern, api.HandlerFunc(f))
}

// Mount maps pattern to a net/http handler (net/http/pprof, a chi router,
// ...). The handler sees the full request path; use http.StripPrefix to
// serve it under a prefix.
func (x *Context) Mount(pattern string, h http.Handler) { x.Handle(pattern, api.FromHTTP(h)) }

// Filter maps f to pattern. A request passes through every filter whose
// pattern matches its path, in the order they were added, then reaches its
// handler. The same pattern may carry several filters.
func (x *Context) Filter(pattern string, f api.Filter) {
	if f == nil {
		panic("container: nil filter for " + pattern)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building("Filter")
	x.nfilters++
	fe := filterEntry{seq: x.nfilters, f: f}
	// A pattern may carry several filters: they share one map entry.
	for _, g := range x.filterGroups {
		if g.pattern == pattern {
			g.filters = append(g.filters, fe)
			return
		}
	}
	g := &filterGroup{pattern: pattern, filters: []filterEntry{fe}}
	if err := x.filters.Add(pattern, g); err != nil {
		panic(fmt.Sprintf("container: context %q: %v", x.path, err))
	}
	x.filterGroups = append(x.filterGroups, g)
}

type filterEntry struct {
	seq int
	f   api.Filter
}

type filterGroup struct {
	pattern string
	filters []filterEntry
}

// FilterFunc maps f to pattern.
func (x *Context) FilterFunc(pattern string, f func(w api.Response, r *api.Request, next api.Chain) error) {
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
func (x *Context) InitParam(name string) string { return x.params[name] }

// ErrorPage renders responses with the given status (for example 404, or
// 500 for failures). The handler receives the failed request with the error
// available through ErrorOf; the status is already set.
func (x *Context) ErrorPage(status int, h api.Handler) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building("ErrorPage")
	if x.byStatus == nil {
		x.byStatus = make(map[int]api.Handler)
	}
	x.byStatus[status] = h
}

// ErrorPageFor renders failures whose error matches target (errors.Is).
// Error matches are tried before status pages, in the order added.
func (x *Context) ErrorPageFor(target error, h api.Handler) {
	x.errorPageFunc(func(err error) bool { return errors.Is(err, target) }, h)
}

// ErrorPageAs renders failures that have an error of type E in their chain
// (errors.As).
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

// Resolve implements dispatcher.Resolver.
func (x *Context) Resolve(pathInContext string, withFilters bool) (api.Handler, api.Mapping, bool) {
	m, ok := x.handlers.Match(pathInContext)
	if !ok {
		return nil, api.Mapping{}, false
	}
	h := m.Value
	if withFilters {
		h = x.chain(h, pathInContext)
	}
	return h, x.mapping(m), true
}

func (x *Context) mapping(m pathmap.Match[api.Handler]) api.Mapping {
	am := api.Mapping{
		ContextPath: x.path,
		Pattern:     m.Pattern,
		Kind:        api.MatchKind(m.Kind),
		ServletPath: m.ServletPath,
		PathInfo:    m.PathInfo,
	}
	if len(m.Params) > 0 {
		am.Params = make([]api.Param, len(m.Params))
		for i, p := range m.Params {
			am.Params[i] = api.Param{Name: p.Name, Value: p.Value}
		}
	}
	return am
}

// chain wraps h in the filters mapped to pathInContext.
func (x *Context) chain(h api.Handler, pathInContext string) api.Handler {
	if x.filters.Len() == 0 {
		return h
	}
	var buf [8]pathmap.Match[*filterGroup]
	ms := x.filters.AppendMatches(buf[:0], pathInContext)
	if len(ms) == 0 {
		return h
	}
	var fes []filterEntry
	for _, m := range ms {
		fes = append(fes, m.Value.filters...)
	}
	slices.SortFunc(fes, func(a, b filterEntry) int { return a.seq - b.seq })
	fs := make([]api.Filter, len(fes))
	for i, fe := range fes {
		fs[i] = fe.f
	}
	return api.Compose(h, fs...)
}
