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
}

// NewHeader returns a read-only view of h. The caller gives up h: it must not
// modify it afterwards, which is what makes the view safe to share.
func NewHeader(h http.Header) Header { return Header{h: h} }

// Get returns the first value for key (case-insensitive), or "".
func (h Header) Get(key string) string {
	if h.h == nil {
		return ""
	}
	if v := h.h[key]; len(v) > 0 {
		return v[0]
	}
	v := h.h[textproto.CanonicalMIMEHeaderKey(key)]
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// Has reports whether key is present.
func (h Header) Has(key string) bool {
	if h.h == nil {
		return false
	}
	if _, ok := h.h[key]; ok {
		return true
	}
	_, ok := h.h[textproto.CanonicalMIMEHeaderKey(key)]
	return ok
}

// Values returns a copy of all values for key, so the caller may keep or
// modify it.
func (h Header) Values(key string) []string {
	if h.h == nil {
		return nil
	}
	v, ok := h.h[key]
	if !ok {
		v = h.h[textproto.CanonicalMIMEHeaderKey(key)]
	}
	if len(v) == 0 {
		return nil
	}
	return append([]string(nil), v...)
}

// Len returns the number of distinct keys.
func (h Header) Len() int { return len(h.h) }

// All yields every (key, value) pair; a key with several values is yielded
// once per value. The order is unspecified.
func (h Header) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
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
