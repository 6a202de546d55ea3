package api

import (
	"iter"
	"net/http"
	"net/textproto"
)

// Header is a read-only view of request header fields. Its zero value is an
// empty header. Keys are canonical MIME header keys, as in net/http.
//
// Header is safe for concurrent use: nothing can modify it after the
// container builds it.
type Header struct {
	h http.Header
	f []HeaderField // set instead of h by NewHeaderFields
}

// HeaderField is one header field as a connector received it.
type HeaderField struct {
	Key   string // canonical MIME header key
	Value string
}

// NewHeader returns a read-only view of h. The caller gives up h: it must not
// modify it afterwards, which is what makes the view safe to share.
func NewHeader(h http.Header) Header { return Header{h: h} }

// NewHeaderFields returns a read-only view of fields in the order received;
// each Key must be canonical. The caller gives up fields. Connectors use it
// to hand over a parsed head without building a map: lookups scan the few
// fields a request carries.
func NewHeaderFields(fields []HeaderField) Header {
	if fields == nil {
		fields = []HeaderField{}
	}
	return Header{f: fields}
}

// lookup calls yield with each value of key (already canonical or as
// given), stopping when it returns false. It reports whether key is
// present.
func (h Header) lookup(key string, yield func(string) bool) bool {
	if h.f == nil {
		vs, ok := h.h[key]
		if !ok {
			vs, ok = h.h[textproto.CanonicalMIMEHeaderKey(key)]
		}
		for _, v := range vs {
			if !yield(v) {
				break
			}
		}
		return ok
	}
	found := h.scan(key, yield)
	if !found {
		if ck := textproto.CanonicalMIMEHeaderKey(key); ck != key {
			found = h.scan(ck, yield)
		}
	}
	return found
}

func (h Header) scan(key string, yield func(string) bool) bool {
	found := false
	for i := range h.f {
		if h.f[i].Key == key {
			found = true
			if !yield(h.f[i].Value) {
				break
			}
		}
	}
	return found
}

// Get returns the first value for key (case-insensitive), or "".
func (h Header) Get(key string) string {
	if h.f != nil {
		// Inline the common case: the key as given, one match.
		for i := range h.f {
			if h.f[i].Key == key {
				return h.f[i].Value
			}
		}
	}
	var first string
	h.lookup(key, func(v string) bool { first = v; return false })
	return first
}

// Has reports whether key is present.
func (h Header) Has(key string) bool {
	return h.lookup(key, func(string) bool { return false })
}

// Values returns a copy of all values for key, so the caller may keep or
// modify it.
func (h Header) Values(key string) []string {
	var vs []string
	h.lookup(key, func(v string) bool { vs = append(vs, v); return true })
	return vs
}

// Len returns the number of distinct keys.
func (h Header) Len() int {
	if h.f == nil {
		return len(h.h)
	}
	n := 0
	for i := range h.f {
		if !h.seenBefore(i) {
			n++
		}
	}
	return n
}

func (h Header) seenBefore(i int) bool {
	for j := range i {
		if h.f[j].Key == h.f[i].Key {
			return true
		}
	}
	return false
}

// All yields every (key, value) pair; a key with several values is yielded
// once per value. The order is unspecified.
func (h Header) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		if h.f != nil {
			for _, f := range h.f {
				if !yield(f.Key, f.Value) {
					return
				}
			}
			return
		}
		for k, vs := range h.h {
			for _, v := range vs {
				if !yield(k, v) {
					return
				}
			}
		}
	}
}

// Clone returns a mutable copy, for building an outgoing request or an
// http.Request.
func (h Header) Clone() http.Header {
	if h.f != nil {
		c := make(http.Header, len(h.f))
		for _, f := range h.f {
			c[f.Key] = append(c[f.Key], f.Value)
		}
		return c
	}
	if h.h == nil {
		return http.Header{}
	}
	return h.h.Clone()
}

// With returns a new Header with key set to values (replacing any previous
// values). The receiver is unchanged.
func (h Header) With(key string, values ...string) Header {
	c := h.Clone()
	c[textproto.CanonicalMIMEHeaderKey(key)] = append([]string(nil), values...)
	return Header{h: c}
}

// Without returns a new Header without key. The receiver is unchanged.
func (h Header) Without(key string) Header {
	if !h.Has(key) {
		return h
	}
	c := h.Clone()
	c.Del(key)
	return Header{h: c}
}
