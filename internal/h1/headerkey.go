package h1

import "net/textproto"

// CanonicalKey returns the canonical form of the header field name k, as
// textproto.CanonicalMIMEHeaderKey does ("sec-websocket-key" becomes
// "Sec-Websocket-Key"; a name with a byte no field name may hold is
// returned as it is).
//
// textproto allocates the canonical form of any name outside its short
// list of common ones. Browsers send many others in another case: every
// HTTP/2 and HTTP/3 field name is lower case, Chrome sends its client
// hints (sec-ch-ua...) in lower case over HTTP/1.1 too, and the WebSocket
// handshake's own names (Sec-WebSocket-Key) are not canonical. Those
// names come back here from a table of their canonical forms, so parsing
// one costs no allocation. A request head's names are made canonical in
// its own copy, as api.NewHeaderFields and api.NewHeaderText pack them;
// this serves the fields that become a map (HTTP/2's trailers).
func CanonicalKey(k string) string {
	switch k {
	case "Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language",
		"Connection", "Content-Length", "Content-Type", "Cookie":
		// The names of nearly every request, as clients send them: no
		// need to look at each byte.
		return k
	}
	if len(k) == 0 || len(k) > maxKnownKey {
		return textproto.CanonicalMIMEHeaderKey(k)
	}
	var buf [maxKnownKey]byte
	upper, canonical := true, true
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '-':
			upper = true
		case 'a' <= c && c <= 'z':
			if upper {
				c -= 'a' - 'A'
				canonical = false
			}
			upper = false
		case 'A' <= c && c <= 'Z':
			if !upper {
				c += 'a' - 'A'
				canonical = false
			}
			upper = false
		case '0' <= c && c <= '9':
			upper = false
		default:
			// Rarer bytes (textproto's rules for '_', a space...) are
			// textproto's business.
			return textproto.CanonicalMIMEHeaderKey(k)
		}
		buf[i] = c
	}
	if canonical {
		return k
	}
	if known, ok := knownKeys[string(buf[:len(k)])]; ok {
		return known
	}
	return textproto.CanonicalMIMEHeaderKey(k)
}

// maxKnownKey is the longest name in knownKeys.
const maxKnownKey = 32

// knownKeys holds the canonical request field names that
// textproto.CanonicalMIMEHeaderKey would allocate, which browsers,
// WebSocket clients, proxies and tracers send. Read-only after init.
var knownKeys = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{
		"Access-Control-Request-Headers", "Access-Control-Request-Method",
		"Authorization", "Baggage", "Cache-Control", "Content-Encoding",
		"Dnt", "Early-Data", "Forwarded", "If-Match", "If-Range",
		"If-Unmodified-Since", "Keep-Alive", "Last-Event-Id", "Origin",
		"Pragma", "Priority", "Proxy-Authorization", "Purpose", "Range",
		"Referer", "Sec-Ch-Prefers-Color-Scheme", "Sec-Ch-Ua",
		"Sec-Ch-Ua-Arch", "Sec-Ch-Ua-Bitness", "Sec-Ch-Ua-Full-Version-List",
		"Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Model", "Sec-Ch-Ua-Platform",
		"Sec-Ch-Ua-Platform-Version", "Sec-Fetch-Dest", "Sec-Fetch-Mode",
		"Sec-Fetch-Site", "Sec-Fetch-Storage-Access", "Sec-Fetch-User",
		"Sec-Gpc", "Sec-Purpose", "Sec-Websocket-Extensions",
		"Sec-Websocket-Key", "Sec-Websocket-Protocol",
		"Sec-Websocket-Version", "Te", "Traceparent", "Tracestate",
		"Upgrade", "Upgrade-Insecure-Requests", "X-Forwarded-Host",
		"X-Forwarded-Proto", "X-Real-Ip", "X-Request-Id",
		"X-Requested-With",
	} {
		if len(k) > maxKnownKey || textproto.CanonicalMIMEHeaderKey(k) != k {
			panic("h1: knownKeys holds " + k + ", not a canonical name of up to 32 bytes")
		}
		m[k] = k
	}
	return m
}()
