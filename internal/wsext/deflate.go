package wsext

import (
	"strings"

	"github.com/wharf-go/wharf/internal/h1"
)

// AcceptDeflate returns the server's answer to the Sec-WebSocket-Extensions
// values offers, the value of its own Sec-WebSocket-Extensions field, if
// they hold an offer of permessage-deflate the server can honour (RFC
// 7692 §7): one whose parameters are all known, each given once, with
// valid values; ok is false if they do not. server_max_window_bits asks
// the server for a window smaller than 2^15 at most; package websocket's
// deflater uses that one, so only 15 is honoured. The answer always says
// server_no_context_takeover and client_no_context_takeover, which
// accept any of these offers, and server_max_window_bits=15 when the
// accepted offer asked for it: a server accepts that parameter by
// answering it (RFC 7692 §7.1.2.1), and a client that finds it missing
// may take the offer as declined and fail the connection. An offer the
// server cannot honour is declined, and the next one considered. A field
// value that does not parse offers nothing.
func AcceptDeflate(offers []string) (answer string, ok bool) {
	for _, s := range offers {
		if o, ok := firstDeflate(s); ok {
			return o.answer(), true
		}
	}
	return "", false
}

// answer is the server's Sec-WebSocket-Extensions value accepting o.
func (o offer) answer() string {
	const base = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	if o.params&serverMaxWindowBits != 0 {
		return base + "; server_max_window_bits=15" // the one value add accepts
	}
	return base
}

// The parameters of an offer of permessage-deflate (RFC 7692 §7), a bit
// each in offer.params.
const (
	serverNoContextTakeover uint8 = 1 << iota
	clientNoContextTakeover
	serverMaxWindowBits
	clientMaxWindowBits
)

// offer is an offer of permessage-deflate the server can honour.
type offer struct {
	params     uint8  // the parameters given, a bit each
	clientBits string // client_max_window_bits's value; "" if it had none, or was not given
}

// firstDeflate returns the first offer of permessage-deflate the server
// can honour in one field value, an extension-list (RFC 6455 §9.1); ok
// is false if there is none, or if the value does not parse to its end:
// a value that does not parse offers nothing, however it begins.
func firstDeflate(s string) (o offer, ok bool) {
	var first offer
	found := false
	for {
		s = skipSpace(s)
		if s == "" {
			return first, found
		}
		if s[0] == ',' { // an empty element, which a list may have (RFC 9110 §5.6.1)
			s = s[1:]
			continue
		}
		var name string
		name, s = h1.CutToken(s)
		if name == "" {
			return offer{}, false
		}
		ok := name == "permessage-deflate"
		o = offer{}
		for {
			s = skipSpace(s)
			if s == "" || s[0] == ',' {
				break
			}
			if s[0] != ';' {
				return offer{}, false
			}
			var key, val string
			key, s = h1.CutToken(skipSpace(s[1:]))
			if key == "" {
				return offer{}, false
			}
			s = skipSpace(s)
			hasVal := s != "" && s[0] == '='
			if hasVal {
				var valid bool
				if val, s, valid = cutValue(skipSpace(s[1:])); !valid {
					return offer{}, false
				}
			}
			ok = ok && o.add(key, val, hasVal)
		}
		if ok && !found {
			first, found = o, true
		}
	}
}

// add reports whether the server can accept an offer of
// permessage-deflate with the parameter key (and its value val, if
// hasVal) besides those o holds, and adds it to o: a parameter given
// twice makes the offer invalid (RFC 7692 §7).
func (o *offer) add(key, val string, hasVal bool) bool {
	var bit uint8
	var ok bool
	switch key {
	case "server_no_context_takeover":
		bit, ok = serverNoContextTakeover, !hasVal
	case "client_no_context_takeover":
		bit, ok = clientNoContextTakeover, !hasVal
	case "server_max_window_bits":
		bit, ok = serverMaxWindowBits, hasVal && val == "15"
	case "client_max_window_bits":
		// Without a value, a hint that the client could use a smaller
		// window; with one, the window it will use: the inflater takes
		// any.
		bit, ok = clientMaxWindowBits, !hasVal || windowBits(val)
		o.clientBits = val
	default:
		return false
	}
	if o.params&bit != 0 {
		return false
	}
	o.params |= bit
	return ok
}

// windowBits reports whether v is a window size RFC 7692 §7.1.2 allows:
// 8 to 15, in decimal without leading zeroes.
func windowBits(v string) bool {
	switch v {
	case "8", "9", "10", "11", "12", "13", "14", "15":
		return true
	}
	return false
}

// skipSpace returns s without its leading spaces and tabs.
func skipSpace(s string) string {
	return strings.TrimLeft(s, " \t")
}

// cutValue returns the parameter value s begins with, a token or a
// quoted string (unescaped: RFC 7692 §7.1 compares what it holds), and
// the rest of s; ok is false if there is none.
func cutValue(s string) (val, rest string, ok bool) {
	if s != "" && s[0] == '"' {
		return h1.CutQuoted(s)
	}
	val, rest = h1.CutToken(s)
	return val, rest, val != ""
}
