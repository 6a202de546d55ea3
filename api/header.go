package api

import (
	"iter"
	"net/http"
	"net/textproto"
	"slices"
)

// Header is a read-only view of request header fields. Its zero value is an
// empty header. Keys are canonical MIME header keys, as in net/http.
//
// Header is safe for concurrent use: nothing can modify it after the
// container builds it.
type Header struct {
	h http.Header // the map form (NewHeader, With, Without); nil: the packed form
	// The packed form (NewHeaderFields, NewHeaderText): the fields'
	// spans, then their bytes, in one string (headerpack.go); n spans,
	// negated when they are wide. A waiting request keeps its fields in
	// the allocation that holds its head's text, not in a slice of
	// strings beside it.
	p string
	n int
}

// HeaderField is one header field as a connector received it.
type HeaderField struct {
	Key   string // canonical MIME header key
	Value string
}

// NewHeader returns a read-only view of h. The caller gives up h: it must not
// modify it afterwards, which is what makes the view safe to share.
func NewHeader(h http.Header) Header { return Header{h: h} }

// NewHeaderFields returns a read-only view of fields in the order received.
// Keys are made canonical (as textproto.CanonicalMIMEHeaderKey does); the
// fields are copied into one allocation, so the caller may reuse the
// slice. Connectors use it to hand over a parsed head without building a
// map: lookups scan the few fields a request carries.
func NewHeaderFields(fields []HeaderField) Header {
	h, _ := packHeader(nil, len(fields), func(i int) ([]byte, []byte) {
		return bytesOf(fields[i].Key), bytesOf(fields[i].Value)
	})
	return h
}

// NewHeaderText is NewHeaderFields for a head that arrived as one run of
// bytes, text: field(i) returns the name and value of field i of n,
// usually views into text. It copies text once, with the fields, into
// one allocation, makes the names canonical in the copy, and returns the
// view and the copy, so that a connector can take the head's other parts
// (method, target, host) as substrings of it at no further cost. A name
// or value that is not a view into text is copied after it.
func NewHeaderText(text []byte, n int, field func(i int) (name, value []byte)) (Header, string) {
	return packHeader(text, n, field)
}

// lookup calls yield with each value of key (already canonical or as
// given), stopping when it returns false. It reports whether key is
// present.
func (h Header) lookup(key string, yield func(string) bool) bool {
	if h.h != nil {
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
	for i := h.find(key, 0); i >= 0; i = h.find(key, i+1) {
		found = true
		if !yield(h.value(i)) {
			break
		}
	}
	return found
}

// Get returns the first value for key (case-insensitive), or "".
func (h Header) Get(key string) string {
	if h.h == nil {
		// The common case first: the key as given, one match.
		if i := h.find(key, 0); i >= 0 {
			return h.value(i)
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
	if h.h != nil {
		return len(h.h)
	}
	n := 0
	for i := range h.count() {
		if !h.seenBefore(i) {
			n++
		}
	}
	return n
}

func (h Header) seenBefore(i int) bool {
	k := h.key(i)
	for j := range i {
		if h.key(j) == k {
			return true
		}
	}
	return false
}

// All yields every (key, value) pair; a key with several values is yielded
// once per value. The order is unspecified.
func (h Header) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		if h.h == nil {
			for i := range h.count() {
				if !yield(h.key(i), h.value(i)) {
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
	if h.h == nil {
		c := make(http.Header, h.count())
		for i := range h.count() {
			k := h.key(i)
			c[k] = append(c[k], h.value(i))
		}
		return c
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

// Without returns a new Header without keys, made in one copy, or the
// receiver itself when it has none of them. The receiver is unchanged.
func (h Header) Without(keys ...string) Header {
	if !slices.ContainsFunc(keys, h.Has) {
		return h
	}
	c := h.Clone()
	for _, k := range keys {
		c.Del(k)
	}
	return Header{h: c}
}

// conditionFields are the request fields WithoutConditions drops.
var conditionFields = [...]string{
	"Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
}

// WithoutConditions returns h without the fields that make a request
// partial or conditional: Range, If-Range, If-Match, If-None-Match,
// If-Modified-Since and If-Unmodified-Since (RFC 9110 §13.1, §14.2). A
// request handed to a resource other than the one the client asked for
// (an include, an error page) sheds them: they were about the answer the
// client asked for, and the other resource would answer them in its
// place, with a part, a 304 or a 412. It returns h itself when it has
// none of them.
func (h Header) WithoutConditions() Header { return h.Without(conditionFields[:]...) }
