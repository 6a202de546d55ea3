package header

import (
	"maps"
	"net/http"
	"net/textproto"
	"slices"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/continuation"
)

// Config says which fields to change. Keys are case-insensitive. The zero
// value changes nothing, and New returns a filter that only calls next.
//
// For the response the order is Remove, then Set, then Add; for the request
// RequestRemove, then RequestSet.
type Config struct {
	// Set replaces the response field with the single value. Nil or empty
	// sets nothing.
	//
	// Strict-Transport-Security, in Set or Add, goes only on responses to
	// requests that came over https (Request.Scheme): RFC 6797 §7.2
	// forbids it over cleartext, where browsers ignore it and a proxy may
	// cache it. Behind a proxy that terminates TLS, put filters/forwarded
	// before this filter, trusting the proxy, so that its requests say
	// https; or have the proxy send the field.
	Set map[string]string
	// Add appends a value to the response field, keeping existing values,
	// unless the field holds that value already (a forward through the
	// filters passes the filter again: see the package documentation).
	// Nil or empty adds nothing. Strict-Transport-Security is sent over
	// TLS only, as for Set.
	Add map[string]string
	// Remove deletes response fields. Nil or empty deletes nothing.
	Remove []string
	// RequestSet replaces request fields with the single value, for the
	// rest of the chain. Nil or empty sets nothing.
	RequestSet map[string]string
	// RequestRemove deletes request fields, for the rest of the chain. Nil
	// or empty deletes nothing.
	RequestRemove []string
}

// hsts is the field RFC 6797 §7.2 forbids on responses over cleartext.
const hsts = "Strict-Transport-Security"

type kv struct{ key, value string }

type filter struct {
	set, add   []kv
	remove     []string
	reqSet     []kv
	reqRemove  []string
	noRequest  bool
	noResponse bool
}

// New returns the filter for cfg. The maps and slices are copied, so later
// changes to cfg have no effect.
//
// Goroutines: call it at setup time; the filter it returns is safe for
// concurrent use, and each call of its Filter method must come from the
// request's serialized task.
func New(cfg Config) api.Filter {
	f := &filter{
		set:       pairs(cfg.Set),
		add:       pairs(cfg.Add),
		remove:    canon(cfg.Remove),
		reqSet:    pairs(cfg.RequestSet),
		reqRemove: canon(cfg.RequestRemove),
	}
	f.noResponse = len(f.set) == 0 && len(f.add) == 0 && len(f.remove) == 0
	f.noRequest = len(f.reqSet) == 0 && len(f.reqRemove) == 0
	return f
}

// pairs canonicalizes and sorts the map so that the filter is deterministic.
func pairs(m map[string]string) []kv {
	var out []kv
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, kv{textproto.CanonicalMIMEHeaderKey(k), m[k]})
	}
	return out
}

func canon(keys []string) []string {
	var out []string
	for _, k := range keys {
		out = append(out, textproto.CanonicalMIMEHeaderKey(k))
	}
	return out
}

// Filter applies the response changes to w (on the request's first
// dispatch only), derives the request with the request changes and calls
// next with both. It must be called from the request's serialized task
// (the filter chain does so).
func (f *filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	// A re-dispatch (a resumed or expired continuation) goes on with the
	// header fields of the earlier passes: the changes are there already,
	// and applying them again would add Add's values twice and undo what
	// the chain set after them.
	if !f.noResponse && continuation.Of(r).IsInitial() {
		h := w.Header()
		for _, k := range f.remove {
			del(h, k)
		}
		secure := r.Scheme() == "https"
		for _, p := range f.set {
			if p.key == hsts && !secure {
				continue
			}
			del(h, p.key)
			h[p.key] = []string{p.value}
		}
		for _, p := range f.add {
			if p.key == hsts && !secure {
				continue
			}
			// A forward through the filters (dispatcher.WithFilters), a
			// page's or an error page's, passes here again on the same
			// dispatch with the fields already changed: the value is
			// there, and a second copy would be sent ("Vary: Origin,
			// Origin").
			if slices.Contains(h[p.key], p.value) {
				continue
			}
			h[p.key] = append(h[p.key], p.value)
		}
	}
	if !f.noRequest {
		c := r.Header().Clone()
		for _, k := range f.reqRemove {
			del(c, k)
		}
		for _, p := range f.reqSet {
			del(c, p.key)
			c[p.key] = []string{p.value}
		}
		r = r.WithHeader(api.NewHeader(c))
	}
	return next.Next(w, r)
}

// del removes key from h, also under spellings that are not canonical (a
// header map filled by hand may hold them).
func del(h http.Header, key string) {
	delete(h, key)
	for k := range h {
		if strings.EqualFold(k, key) {
			delete(h, k)
		}
	}
}
