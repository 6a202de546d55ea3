package h1

import "net/textproto"

// ForbiddenTrailer reports whether a field, by its canonical name, must not
// be taken from a trailer (RFC 9110 §6.5.1): framing, routing and the like
// could otherwise smuggle meaning past checks made on the head. HTTP/1.1's
// chunked trailers and HTTP/2's trailing HEADERS both drop such fields.
func ForbiddenTrailer(canonicalKey string) bool { return forbiddenTrailer[canonicalKey] }

var forbiddenTrailer = map[string]bool{
	"Content-Length": true, "Transfer-Encoding": true, "Host": true, "Connection": true,
	"Content-Type": true, "Content-Encoding": true, "Content-Range": true, "Trailer": true,
	"Authorization": true, "Cookie": true, "Set-Cookie": true, "Te": true, "Expect": true,
	"Cache-Control": true, "Max-Forwards": true, "Pragma": true, "Range": true,
}

// SendableTrailer reports whether a response may carry the field name as
// a trailer: a token, and neither a field ForbiddenTrailer names, one of
// HTTP/1.1's connection fields, nor an authentication field, which a
// recipient must not take from a trailer (RFC 9110 §6.5.1) and net/http's
// server drops there too. It allocates nothing for a canonical name.
func SendableTrailer(name string) bool {
	if !IsTokenString(name) {
		return false
	}
	k := textproto.CanonicalMIMEHeaderKey(name)
	return !ForbiddenTrailer(k) && !ConnectionField(k) && !authField(k)
}

// authField reports whether the canonical k is an authentication field
// ForbiddenTrailer does not name (it names Authorization, which a request
// carries). Not in ForbiddenTrailer, which also filters request trailers:
// these are a response's. net/http's server does not send them as
// trailers: ServeHTTP and HTTP/3 announced such a trailer and sent no
// value, where HTTP/1.1 and HTTP/2 sent it.
func authField(k string) bool {
	switch k {
	case "Www-Authenticate", "Proxy-Authenticate", "Proxy-Authorization", "Realm":
		return true
	}
	return false
}

// TrailerHeader builds request trailers from the fields a ChunkedDecoder
// collected, by canonical name, leaving out those ForbiddenTrailer names.
func TrailerHeader(fields []Field) map[string][]string {
	h := make(map[string][]string, len(fields))
	for _, f := range fields {
		k := textproto.CanonicalMIMEHeaderKey(string(f.Name))
		if ForbiddenTrailer(k) {
			continue
		}
		h[k] = append(h[k], string(f.Value))
	}
	return h
}
