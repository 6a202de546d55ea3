package container

import "github.com/wharf-go/wharf/api"

// FilterFirst maps f to pattern, as Filter does, but ahead of every filter
// added with Filter, whenever either was added: f is outside them, so it
// runs before them on the way in, after them on the way out, and for every
// request it matches even when one of them answers it without calling
// next (filters/qos's 503, a security filter's 401). Filters added with
// FilterFirst run among themselves in the order they were added. It is
// for what must wrap the whole chain: response headers every answer
// carries (package h3's Alt-Svc), a request's outermost span or log
// record, recovery. The package documentation draws the model.
//
// FilterFirst panics as Filter does. Any goroutine may call it, before
// Start.
func (x *Context) FilterFirst(pattern string, f api.Filter) {
	x.addFilter("FilterFirst", pattern, f, true)
}

// FilterFirst maps f to pattern in the root context ahead of its other
// filters (see Context.FilterFirst).
func (c *Container) FilterFirst(pattern string, f api.Filter) { c.Root().FilterFirst(pattern, f) }

// Contexts returns the container's contexts, the root context among them,
// for what applies to all of them (package h3 puts its Alt-Svc filter on
// each). Once the container has started they come longest path first.
// Any goroutine may call it.
func (c *Container) Contexts() []*Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Context(nil), c.contexts...)
}

// Started reports whether the container has started (Start, which the
// Serve methods and the first request call): its mappings are frozen, and
// Handle, Filter and the other registration methods panic. Any goroutine
// may call it.
func (c *Container) Started() bool { return c.started.Load() }
