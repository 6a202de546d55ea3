package api

import "unsafe"

// The packed form of a Header is one string: n spans, then the bytes they
// point into. A span is four numbers, each little-endian: the key's
// offset and length, then the value's. They take 16 bits each (an 8-byte
// span) when the whole string is under 64 KiB, as a head under the
// default limits is, and 32 bits each (16 bytes) otherwise: Header.n is
// then negative. The bytes are the head's text as received, names made
// canonical in place, followed by any field not found in that text.
//
// Against a []HeaderField beside the text (32 bytes a field, and an
// allocation that holds pointers, which the collector scans), this keeps
// a field in 8 bytes and a head in one allocation that holds none.

const (
	narrowSpan = 8
	wideSpan   = 16
	maxNarrow  = 1<<16 - 1
)

// packHeader copies text and the n fields field returns into one
// allocation and returns the packed Header and the copy of text in it.
// A name or value lying inside text is kept as a span of the copy; any
// other is copied after it. Names are made canonical in the copy, so a
// name must not share bytes with anything a caller takes from the copy.
func packHeader(text []byte, n int, field func(int) (name, value []byte)) (Header, string) {
	if n == 0 && len(text) == 0 {
		return Header{}, ""
	}
	if len(text) > 0 {
		// A parsed head's fields are all views into its text: one pass.
		if h, t, ok := packViews(text, n, field); ok {
			return h, t
		}
	}
	extra := 0
	for i := range n {
		k, v := field(i)
		if offsetIn(text, k) < 0 {
			extra += len(k)
		}
		if offsetIn(text, v) < 0 {
			extra += len(v)
		}
	}
	w := spanWidth(n, len(text)+extra)
	buf := make([]byte, n*w+len(text)+extra)
	base := n * w
	copy(buf[base:], text)
	end := base + len(text)
	place := func(s []byte) (off, l int) {
		if o := offsetIn(text, s); o >= 0 {
			return base + o, len(s)
		}
		off = end
		end += copy(buf[end:], s)
		return off, len(s)
	}
	for i := range n {
		k, v := field(i)
		ko, kl := place(k)
		vo, vl := place(v)
		canonicalizeKey(buf[ko : ko+kl])
		putSpan(buf, i, w, ko, kl, vo, vl)
	}
	return seal(buf, n, w, len(text))
}

// spanWidth is the width of n spans over size bytes: narrow while every
// offset and length fits 16 bits.
func spanWidth(n, size int) int {
	if n*narrowSpan+size > maxNarrow {
		return wideSpan
	}
	return narrowSpan
}

// putSpan writes span i of width w: the key's offset and length, then
// the value's.
func putSpan(buf []byte, i, w, ko, kl, vo, vl int) {
	e := buf[i*w : (i+1)*w]
	if w == narrowSpan {
		put16(e[0:], ko)
		put16(e[2:], kl)
		put16(e[4:], vo)
		put16(e[6:], vl)
		return
	}
	put32(e[0:], ko)
	put32(e[4:], kl)
	put32(e[8:], vo)
	put32(e[12:], vl)
}

// seal makes the packed Header of buf, n spans of width w then the text
// (textLen bytes) and the rest, and returns it with its text. buf is
// never written again: the string shares it.
func seal(buf []byte, n, w, textLen int) (Header, string) {
	p := unsafe.String(unsafe.SliceData(buf), len(buf))
	h := Header{p: p, n: n}
	if w == wideSpan {
		h.n = -n
	}
	return h, p[n*w : n*w+textLen]
}

// packViews is packHeader for fields that are all views into text (an
// empty one counts as one), in a single pass over them; ok is false, and
// nothing kept, if one is not.
func packViews(text []byte, n int, field func(int) (name, value []byte)) (Header, string, bool) {
	w := spanWidth(n, len(text))
	buf := make([]byte, n*w+len(text))
	base := n * w
	copy(buf[base:], text)
	for i := range n {
		k, v := field(i)
		ko, vo := offsetIn(text, k), offsetIn(text, v)
		if ko < 0 && len(k) > 0 || vo < 0 && len(v) > 0 {
			return Header{}, "", false
		}
		ko, vo = base+max(ko, 0), base+max(vo, 0)
		canonicalizeKey(buf[ko : ko+len(k)])
		putSpan(buf, i, w, ko, len(k), vo, len(v))
	}
	h, t := seal(buf, n, w, len(text))
	return h, t, true
}

// offsetIn returns where s lies in text, or -1 if it is not a view into
// it. An empty s is never in text: it needs no bytes.
func offsetIn(text, s []byte) int {
	if len(s) == 0 || len(text) == 0 {
		return -1
	}
	off := uintptr(unsafe.Pointer(unsafe.SliceData(s))) - uintptr(unsafe.Pointer(unsafe.SliceData(text)))
	if off > uintptr(len(text)) || uintptr(len(s)) > uintptr(len(text))-off {
		return -1
	}
	return int(off)
}

// bytesOf is a read-only view of s's bytes, for packHeader, which only
// copies from it.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func put16(b []byte, v int) { b[0], b[1] = byte(v), byte(v>>8) }

func put32(b []byte, v int) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }

// count is the number of fields in the packed form.
func (h Header) count() int {
	if h.n < 0 {
		return -h.n
	}
	return h.n
}

// find returns the first field from field from on whose key is key, or
// -1. Lookups spend their time here: a span's length is compared before
// its bytes are.
func (h Header) find(key string, from int) int {
	p := h.p
	if h.n >= 0 {
		spans := p[:h.n*narrowSpan]
		for j := from * narrowSpan; j+narrowSpan <= len(spans); j += narrowSpan {
			if int(spans[j+2])|int(spans[j+3])<<8 != len(key) {
				continue
			}
			off := int(spans[j]) | int(spans[j+1])<<8
			if p[off:off+len(key)] == key {
				return j / narrowSpan
			}
		}
		return -1
	}
	for i := from; i < -h.n; i++ {
		if h.span(i, 0) == key {
			return i
		}
	}
	return -1
}

// key returns the name of field i of the packed form.
func (h Header) key(i int) string { return h.span(i, 0) }

// value returns the value of field i of the packed form.
func (h Header) value(i int) string { return h.span(i, 1) }

// span returns the key (j = 0) or the value (j = 1) of field i.
func (h Header) span(i, j int) string {
	p := h.p
	if h.n >= 0 {
		e := i*narrowSpan + j*4
		off := int(p[e]) | int(p[e+1])<<8
		l := int(p[e+2]) | int(p[e+3])<<8
		return p[off : off+l]
	}
	e := i*wideSpan + j*8
	off := int(p[e]) | int(p[e+1])<<8 | int(p[e+2])<<16 | int(p[e+3])<<24
	l := int(p[e+4]) | int(p[e+5])<<8 | int(p[e+6])<<16 | int(p[e+7])<<24
	return p[off : off+l]
}

// canonicalizeKey makes b a canonical MIME header key in place, as
// textproto.CanonicalMIMEHeaderKey would return it: the first letter and
// any letter after a hyphen upper case, the rest lower case; a key with a
// byte that is not a token character, or a space, is left as it is.
func canonicalizeKey(b []byte) {
	switch string(b) {
	case "Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language",
		"Connection", "Content-Length", "Content-Type", "Cookie":
		// The names of nearly every request, as HTTP/1.1 clients send
		// them: no need to look at each byte.
		return
	}
	// One look first: nearly every HTTP/1.1 client sends canonical names,
	// which then need no writing.
	upper, canonical := true, true
	for _, c := range b {
		if !tokenByte(c) {
			return
		}
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			canonical = false
		}
		upper = c == '-'
	}
	if canonical {
		return
	}
	upper = true
	for i, c := range b {
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
}

// tokenByte reports whether c may appear in a field name (RFC 9110 §5.6.2),
// which is what textproto accepts in a key it canonicalizes: a bit of
// tokenLo (bytes 0-63) or tokenHi (64-127).
func tokenByte(c byte) bool {
	if c < 64 {
		return tokenLo>>c&1 != 0
	}
	return c < 128 && tokenHi>>(c-64)&1 != 0
}

const (
	tokenLo uint64 = 1<<'!' | 1<<'#' | 1<<'$' | 1<<'%' | 1<<'&' | 1<<'\'' | 1<<'*' | 1<<'+' |
		1<<'-' | 1<<'.' | (1<<10-1)<<'0'
	tokenHi uint64 = (1<<26-1)<<('A'-64) | 1<<('^'-64) | 1<<('_'-64) | 1<<('`'-64) |
		(1<<26-1)<<('a'-64) | 1<<('|'-64) | 1<<('~'-64)
)
