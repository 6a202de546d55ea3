package forwarded

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/wharf-go/wharf/internal/h1"
)

// Hop is one element of a forwarding list: what the proxy that added it
// knew of the request it took.
type Hop struct {
	Addr  netip.AddrPort // the sender; the zero value if unknown, obfuscated or not named
	Proto string         // "http", "https", or "" if not said
	Host  string         // a valid Host field, or "" if not said
	Port  uint16         // X-Forwarded-Port, 0 if not said or if Host has a port; see Authority
	Bad   bool           // malformed: nothing left of it can be told from what a client wrote
}

// Authority returns the Host field of the request the hop's proxy took,
// for a request that came with the Host field host and whose scheme is
// scheme ("http" or "https"): the hop's Host, or host if it names none,
// with the hop's Port in place of any port it has (Jetty's order: a port
// the forwarded host names wins over X-Forwarded-Port, which wins over
// the port of the request's Host). An empty host stays empty: a port
// alone is no Host field. A Host the hop gives, or whose port it gives,
// is written without the scheme's default port (80 for http, 443 for
// https) and without an empty one, as browsers and net/http's client
// write a Host field and RFC 3986 §6.2.3 normalizes a URI's; a host the
// hop says nothing of is returned as it came.
func (h Hop) Authority(host, scheme string) string {
	if h.Host == "" && h.Port == 0 {
		return host
	}
	if h.Host != "" {
		host = h.Host
	}
	if host == "" {
		return ""
	}
	name, port := splitHostPort(host)
	if h.Port != 0 {
		port = strconv.Itoa(int(h.Port))
	}
	if port == "" || isDefaultPort(port, scheme) {
		return name
	}
	return name + ":" + port
}

// isDefaultPort reports whether port, decimal digits, is the default port
// of scheme: 80 for http, 443 for https ("0443" too).
func isDefaultPort(port, scheme string) bool {
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && (scheme == "http" && n == 80 || scheme == "https" && n == 443)
}

// splitHostPort splits a Host field at the colon of its port, if it has
// one; an IPv6 address keeps its brackets.
func splitHostPort(s string) (name, port string) {
	i := strings.IndexByte(s, ':')
	if s != "" && s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return s, ""
		}
		i = -1
		if end+1 < len(s) && s[end+1] == ':' {
			i = end + 1
		}
	}
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// ParseForwarded appends to hops the elements of one Forwarded field
// line (RFC 7239 §4):
//
//	Forwarded         = 1#forwarded-element
//	forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
//	forwarded-pair    = token "=" value
//	value             = token / quoted-string
//
// with optional whitespace around the commas and semicolons. An element
// that does not parse is appended as a bad hop, and parsing goes on after
// it, at the next comma outside a quoted string: a proxy that appends to
// the line keeps its element, whatever the client wrote before it. A
// quoted string left open takes the rest of the line into its (bad)
// element. Empty elements are skipped, as lists allow.
func ParseForwarded(hops []Hop, s string) []Hop {
	for {
		start := s
		h, rest, ok := parseElement(s)
		if !ok {
			var closed bool
			rest, closed = skipElement(start)
			hops = append(hops, Hop{Bad: true})
			if !closed {
				return hops
			}
		} else if h != nil {
			hops = append(hops, *h)
		}
		if rest == "" {
			return hops
		}
		s = rest[1:] // the comma
	}
}

// Bits of the parameters seen in an element, each allowed once.
const (
	paramFor = 1 << iota
	paramBy
	paramHost
	paramProto
)

// parseElement parses the element at the start of s, up to the comma
// that ends it or the end of s, and returns it (nil for an empty one) and
// the rest of s from that comma.
func parseElement(s string) (h *Hop, rest string, ok bool) {
	var e Hop
	seen := 0
	empty := true
	for {
		s = trimOWS(s)
		if s == "" || s[0] == ',' {
			break
		}
		empty = false
		if s[0] == ';' {
			s = s[1:]
			continue
		}
		name, r := h1.CutToken(s)
		if name == "" || r == "" || r[0] != '=' {
			return nil, "", false
		}
		r = r[1:]
		var value string
		if r != "" && r[0] == '"' {
			value, r, ok = h1.CutQuoted(r)
			if !ok {
				return nil, "", false
			}
		} else {
			value, r = h1.CutToken(r)
			if value == "" {
				return nil, "", false
			}
		}
		s = trimOWS(r)
		if s != "" && s[0] != ';' && s[0] != ',' {
			return nil, "", false
		}
		bit := 0
		switch {
		case strings.EqualFold(name, "for"):
			bit = paramFor
			a, ok := parseNode(value)
			if !ok {
				return nil, "", false
			}
			e.Addr = a
		case strings.EqualFold(name, "by"):
			bit = paramBy
		case strings.EqualFold(name, "host"):
			bit = paramHost
			if validHost(value) {
				e.Host = value
			}
		case strings.EqualFold(name, "proto"):
			bit = paramProto
			e.Proto = scheme(value)
		}
		// Other parameters are extensions (RFC 7239 §5.5), ignored.
		if seen&bit != 0 {
			return nil, "", false // §4: each parameter at most once per element
		}
		seen |= bit
	}
	if empty {
		return nil, s, true
	}
	return &e, s, true
}

// skipElement returns s from the first comma that is not inside a
// quoted string, or "" if there is none, and whether every quoted string
// before it was closed. The element is bad already, so its quoted
// strings are only delimited, not read as h1.CutQuoted reads them: each
// ends at the first quote no backslash escapes, whatever bytes it holds,
// where a valid one would end too.
func skipElement(s string) (rest string, closed bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',':
			return s[i:], true
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			if i >= len(s) {
				return "", false
			}
		}
	}
	return "", true
}

// trimOWS drops leading spaces and tabs.
func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// parseNode parses the node of a for= parameter (RFC 7239 §6):
//
//	node     = nodename [ ":" node-port ]
//	nodename = IPv4address / "[" IPv6address "]" / "unknown" / obfnode
//
// and returns its address and port, the zero AddrPort for "unknown" and
// obfuscated names, and port 0 for an obfuscated port.
func parseNode(s string) (netip.AddrPort, bool) {
	name, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.AddrPort{}, false
		}
		name, port = s[:end+1], s[end+1:]
		if port != "" {
			if port[0] != ':' {
				return netip.AddrPort{}, false
			}
			port = port[1:]
			if port == "" {
				return netip.AddrPort{}, false
			}
		}
	} else if i := strings.IndexByte(s, ':'); i >= 0 {
		name, port = s[:i], s[i+1:]
		if port == "" {
			return netip.AddrPort{}, false
		}
	}
	var p uint16
	if port != "" {
		if port[0] == '_' {
			if !isObfuscated(port) {
				return netip.AddrPort{}, false
			}
		} else {
			n, err := strconv.ParseUint(port, 10, 16)
			if err != nil || port[0] == '+' {
				return netip.AddrPort{}, false
			}
			p = uint16(n)
		}
	}
	switch {
	case strings.EqualFold(name, "unknown"):
		return netip.AddrPort{}, true
	case name != "" && name[0] == '_':
		return netip.AddrPort{}, isObfuscated(name)
	case name != "" && name[0] == '[':
		a, err := netip.ParseAddr(name[1 : len(name)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(a.Unmap(), p), true
	}
	a, err := netip.ParseAddr(name)
	if err != nil || !a.Is4() {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, p), true
}

// isObfuscated reports whether s is an obfuscated node name or port:
// "_" 1*( ALPHA / DIGIT / "." / "_" / "-").
func isObfuscated(s string) bool {
	if len(s) < 2 || s[0] != '_' {
		return false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// ParseXForwarded returns the hops that X-Forwarded-For lists (lines
// fors, an address a comma-separated entry: "192.0.2.1", "2001:db8::1",
// either with a port, the IPv6 one then in brackets, or "unknown"), with
// the scheme, host and port of X-Forwarded-Proto, X-Forwarded-Host and
// X-Forwarded-Port matched to them from the right. Where those have
// fewer entries, their first stands for the hops left of it; without
// X-Forwarded-For, their last is the peer's client's. A hop is bad whose
// scheme is no URI scheme (RFC 3986 §3.1), whose host is no host[:port]
// of RFC 3986 (a reg-name or an IPv6 address in brackets, and a port of
// at most 65535), or whose port is not a decimal number from 1 to 65535,
// as a Forwarded element that does not parse is: a proxy does not write
// them. A well-formed scheme other than "http" and "https" ("wss") and a
// well-formed host that is no Host field a handler may use (one with a
// percent-escape or a sub-delimiter) are ignored instead, as Forwarded's
// are. A hop whose host has a port of its own keeps it (Port 0).
func ParseXForwarded(fors, protos, hosts, ports []string) []Hop {
	var hops []Hop
	for _, line := range fors {
		for e := range strings.SplitSeq(line, ",") {
			e = strings.Trim(e, " \t")
			if e == "" {
				continue
			}
			a, ok := parseXNode(e)
			hops = append(hops, Hop{Addr: a, Bad: !ok})
		}
	}
	ps, hs, pts := entries(protos), entries(hosts), entries(ports)
	if len(hops) == 0 && (len(ps) > 0 || len(hs) > 0 || len(pts) > 0) {
		hops = append(hops, Hop{})
	}
	for i := range hops {
		if p := aligned(ps, len(hops)-i); p != "" {
			if !isScheme(p) {
				hops[i].Bad = true
			}
			hops[i].Proto = scheme(p)
		}
		if h := aligned(hs, len(hops)-i); h != "" {
			switch hostKind(h) {
			case hostUsable:
				hops[i].Host = h
			case hostMalformed:
				hops[i].Bad = true
			}
		}
		if p := aligned(pts, len(hops)-i); p != "" {
			n, ok := parsePort(p)
			if !ok {
				hops[i].Bad = true
			} else if _, own := splitHostPort(hops[i].Host); own == "" {
				hops[i].Port = n
			}
		}
	}
	return hops
}

// parsePort parses an X-Forwarded-Port entry: 1*DIGIT, 1 to 65535.
func parsePort(s string) (uint16, bool) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	return uint16(n), true
}

// parseXNode parses an X-Forwarded-For entry: an address, bare or as a
// Forwarded node has it.
func parseXNode(s string) (netip.AddrPort, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(a.Unmap(), 0), true
	}
	return parseNode(s)
}

// entries returns the non-empty comma-separated entries of the lines,
// trimmed.
func entries(lines []string) []string {
	var out []string
	for _, line := range lines {
		for e := range strings.SplitSeq(line, ",") {
			if e = strings.Trim(e, " \t"); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// aligned returns the entry of list that stands n entries from the
// right, or its first if it has fewer, or "" if it is empty.
func aligned(list []string, n int) string {
	if len(list) == 0 {
		return ""
	}
	return list[max(0, len(list)-n)]
}

// scheme returns "http" or "https" for either in any case, else "".
func scheme(s string) string {
	switch {
	case strings.EqualFold(s, "https"):
		return "https"
	case strings.EqualFold(s, "http"):
		return "http"
	}
	return ""
}

// isScheme reports whether s is a URI scheme (RFC 3986 §3.1):
//
//	scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
func isScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// validHost reports whether s is a Host field a handler may use to build
// a URL (hostKind's hostUsable).
func validHost(s string) bool { return hostKind(s) == hostUsable }

// What hostKind finds a host to be.
const (
	hostMalformed = iota // no host[:port]
	hostUnusable         // one, but no Host field a handler may use
	hostUsable
)

// hostKind says whether s is a host[:port] of RFC 3986 §3.2.2 and §3.2.3:
//
//	host     = "[" IPv6address "]" / reg-name  ; IPv4address is a reg-name
//	reg-name = 1*( unreserved / pct-encoded / sub-delims )
//	port     = *DIGIT                          ; at most 65535 here
//
// (not empty, not an IPvFuture nor an address with a zone, a port of at
// most five digits), and if it is, whether a handler may use it to build
// a URL: a name or IPv4 address of letters, digits, '-', '.', '_' and
// '~' (no percent-escape or sub-delimiter), or the IPv6 address, of at
// most 261 bytes.
func hostKind(s string) int {
	if s == "" {
		return hostMalformed
	}
	name, port, hasPort := s, "", false
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return hostMalformed
		}
		a, err := netip.ParseAddr(s[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return hostMalformed
		}
		name = ""
		if rest := s[end+1:]; rest != "" {
			if rest[0] != ':' {
				return hostMalformed
			}
			port, hasPort = rest[1:], true
		}
	} else if i := strings.IndexByte(s, ':'); i >= 0 {
		name, port, hasPort = s[:i], s[i+1:], true
		if name == "" {
			return hostMalformed
		}
	}
	if hasPort && port != "" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil || len(port) > 5 || !isDigit(port[0]) {
			return hostMalformed
		}
	}
	kind := hostUsable
	if len(s) > 261 {
		kind = hostUnusable
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case isAlpha(c), isDigit(c), c == '-', c == '.', c == '_', c == '~':
		case strings.IndexByte("!$&'()*+,;=", c) >= 0:
			kind = hostUnusable
		case c == '%' && i+2 < len(name) && isHex(name[i+1]) && isHex(name[i+2]):
			kind = hostUnusable
			i += 2
		default:
			return hostMalformed
		}
	}
	return kind
}
