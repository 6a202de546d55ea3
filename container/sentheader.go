package container

import "net/http"

// sentHeader is the header fields of a head already sent, names and values
// in turn, kept by a response that goes on after its head (a stream of
// events, a download) in place of its header map: a map of three fields
// costs about 450 bytes, these about 120, and an idle Server-Sent Events
// stream keeps its response for hours. A response that ends with its head
// (most) never makes one.
type sentHeader struct{ kv []string }

// noFields is the sentHeader of a head sent without fields: shared, as it
// is never written.
var noFields = new(sentHeader)

// keepSentHeader replaces the header map, once its head is sent, by the
// fields it held. Nothing the map says any more reaches the client, so
// Header returns a copy of them from then on. Not inlined: see sniffType.
//
//go:noinline
func (o *output) keepSentHeader() {
	n := 0
	for _, vs := range o.header {
		n += len(vs)
	}
	if o.ctype != "" {
		n++ // no map: the type alone
	}
	o.sentHdr = noFields
	if n > 0 {
		kv := make([]string, 0, 2*n)
		if o.ctype != "" {
			kv = append(kv, "Content-Type", o.ctype)
		}
		for k, vs := range o.header {
			for _, v := range vs {
				kv = append(kv, k, v)
			}
		}
		o.sentHdr = &sentHeader{kv: kv}
	}
	o.header, o.ctype = nil, ""
}

// header returns a new map of the fields.
func (h *sentHeader) header() http.Header {
	m := make(http.Header, len(h.kv)/2)
	for i := 0; i < len(h.kv); i += 2 {
		m[h.kv[i]] = append(m[h.kv[i]], h.kv[i+1])
	}
	return m
}
