package h1

import (
	"encoding/binary"
	"strings"
)

// Character classes as lookup tables: the parser touches every byte of a
// head, and a table load is cheaper than a chain of comparisons.
var (
	tcharTable   = makeTable(func(c byte) bool { return isAlnum(c) || inSet(c, "!#$%&'*+-.^_`|~") })
	valueTable   = makeTable(func(c byte) bool { return c == '\t' || (c >= 0x20 && c != 0x7f) })
	regNameTable = makeTable(func(c byte) bool { return isAlnum(c) || inSet(c, "-._~!$&'()*+,;=") })
	qdtextTable  = makeTable(func(c byte) bool { return valueTable[c] && c != '"' && c != '\\' })
)

// targetTable classes request-target bytes for validTarget: visible
// ASCII but '#' passes, and of those '%' and '?' are looked at further.
var targetTable = func() (t [256]uint8) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = targetPlain
	}
	t['#'] = targetBad
	t['%'], t['?'] = targetSpecial, targetSpecial
	return t
}()

const (
	targetBad = iota
	targetPlain
	targetSpecial
)

func makeTable(f func(byte) bool) (t [256]bool) {
	for i := range t {
		t[i] = f(byte(i))
	}
	return t
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func inSet(c byte, set string) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// IsToken reports whether b is a non-empty RFC 9110 token.
func IsToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tcharTable[c] {
			return false
		}
	}
	return true
}

// IsTokenString is IsToken for a string, without converting it: a field
// name every protocol's writer checks before it sends one.
func IsTokenString(s string) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tcharTable[s[i]] {
			return false
		}
	}
	return true
}

// CutToken returns the token (RFC 9110 §5.6.2) at the start of s, ""
// if none, and the rest of s: for the parsers of other fields made of
// tokens (Forwarded, Sec-WebSocket-Extensions).
func CutToken(s string) (token, rest string) {
	i := 0
	for i < len(s) && tcharTable[s[i]] {
		i++
	}
	return s[:i], s[i:]
}

// CutQuoted returns the content of the quoted-string (RFC 9110 §5.6.4)
// at the start of s, each quoted-pair unescaped, and the rest of s after
// its closing quote; ok is false, rest s, if s does not start with one.
// It is the one reading of quoted strings for the parsers of other
// fields (Forwarded, Sec-WebSocket-Extensions), on the same lexer as
// chunk extensions: a control character other than HTAB, escaped or
// not, makes the string invalid, as the grammar has it. A value without a
// quoted-pair is a substring of s, so most cost no allocation.
func CutQuoted(s string) (value, rest string, ok bool) {
	n := quotedStringLen(s)
	if n < 0 {
		return "", s, false
	}
	value, rest = s[1:n-1], s[n:]
	if strings.IndexByte(value, '\\') < 0 {
		return value, rest, true
	}
	var b strings.Builder
	b.Grow(len(value) - 1) // at least one backslash goes
	for i := 0; i < len(value); i++ {
		if value[i] == '\\' {
			i++ // quotedStringLen saw a byte after each backslash
		}
		b.WriteByte(value[i])
	}
	return b.String(), rest, true
}

// quotedStringLen returns the length of the quoted-string at the start of
// b, or -1 if b does not start with one (no opening quote, a byte that is
// neither qdtext nor part of a quoted-pair, or no closing quote):
//
//	quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
//	qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
//	quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
//
// It reads chunk extensions ([]byte) and CutQuoted's fields (string).
func quotedStringLen[T string | []byte](b T) int {
	if len(b) == 0 || b[0] != '"' {
		return -1
	}
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			i++
			if i >= len(b) || !valueTable[b[i]] {
				return -1
			}
		case !qdtextTable[c]:
			return -1
		}
	}
	return -1
}

// tokenLen returns the length of the token at the start of b.
func tokenLen(b []byte) int {
	for i, c := range b {
		if !tcharTable[c] {
			return i
		}
	}
	return len(b)
}

// EqualFold reports whether b equals s under ASCII case folding. Unlike
// bytes.EqualFold it ignores Unicode folding, which has no place in
// protocol tokens (and would let "ſ" pass as "s").
func EqualFold(b []byte, s string) bool {
	return equalFold(b, s)
}

// equalFold is EqualFold for a string or a byte slice.
func equalFold[T string | []byte](b T, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}

// ContainsToken reports whether the comma-separated list contains tok,
// compared case-insensitively after trimming optional whitespace. Empty
// list elements are ignored, as RFC 9110 §5.6.1 asks of recipients. The
// list is a head's bytes or a decoded field's string, neither converted.
func ContainsToken[T string | []byte](list T, tok string) bool {
	for len(list) > 0 {
		var elem T
		elem, list = cutByte(list, ',')
		if equalFold(trimOWS(elem), tok) {
			return true
		}
	}
	return false
}

// ListsToken reports whether tok is a member of the list that the field
// lines vs make together (one field's values: ContainsToken of each).
func ListsToken(vs []string, tok string) bool {
	for _, v := range vs {
		if ContainsToken(v, tok) {
			return true
		}
	}
	return false
}

// cutByte splits b around the first c; rest is empty when c is absent.
// Like trimOWS, it takes a head's bytes or a decoded field's string
// (ExpectMembers) without converting either.
func cutByte[T string | []byte](b T, c byte) (before, rest T) {
	for i := 0; i < len(b); i++ {
		if b[i] == c {
			return b[:i], b[i+1:]
		}
	}
	return b, rest
}

func trimOWS[T string | []byte](b T) T {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func trimLeftOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// validHost checks RFC 3986 host [":" port] as used by the Host field and
// the authority of absolute- and authority-form targets: a reg-name or
// IPv4 address (reg-name characters cover both), or an IP literal in
// brackets. Userinfo is not accepted: RFC 9110 §4.2.4 forbids it in http
// URIs and it is a classic vector for confusing host checks. Nor are a
// reg-name's percent-escapes, though RFC 3986 allows them: clients send a
// non-ASCII name as punycode, so an escape is only a disguise ("%2F",
// "%00"), and net/http, which never decodes the Host field, decodes %25
// and %80-%FF in a target's authority, where two readers of one request
// would see two hosts.
//
// needHost rejects an empty host, which RFC 9110 §4.2.1 forbids in http
// URIs (but allows as a Host field value); needPort is for CONNECT.
func validHost(b []byte, needHost, needPort bool) bool {
	var port []byte
	if len(b) > 0 && b[0] == '[' {
		end := -1
		for i := 1; i < len(b); i++ {
			if b[i] == ']' {
				end = i
				break
			}
		}
		if end < 2 {
			return false
		}
		// IPvFuture and zone identifiers are not worth accepting from
		// a client: only plain IPv6 addresses.
		if !validIPv6(b[1:end]) {
			return false
		}
		rest := b[end+1:]
		if len(rest) > 0 {
			if rest[0] != ':' {
				return false
			}
			port = rest[1:]
		}
	} else {
		// One pass over the host: ':' is no reg-name byte, so the first
		// byte that is not one ends it, and must be the port's ':'.
		n := 0
		for n < len(b) && regNameTable[b[n]] {
			n++
		}
		if n < len(b) {
			if b[n] != ':' {
				return false
			}
			port = b[n+1:]
		}
		if needHost && n == 0 {
			return false
		}
	}
	if needPort && len(port) == 0 {
		return false
	}
	// port = *DIGIT per RFC 3986, but more than five digits is never a
	// real port and only widens the space of odd inputs.
	if len(port) > 5 {
		return false
	}
	n := 0
	for _, c := range port {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	// CONNECT opens a tunnel to the port: one no TCP connection can have
	// is invalid, which RFC 9110 §9.3.6 says to reject.
	return !needPort || n >= 1 && n <= 65535
}

// validIPv6 checks RFC 3986 IPv6address: eight groups of one to four hex
// digits, at most one "::" standing for one or more zero groups, and
// optionally a dotted IPv4 address as the last two groups.
func validIPv6(b []byte) bool {
	groups, elided := 0, false
	i := 0
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		elided, i = true, 2
	}
	for i < len(b) {
		j := i
		for j < len(b) && j-i <= 4 {
			if _, ok := unhex(b[j]); !ok {
				break
			}
			j++
		}
		if j < len(b) && b[j] == '.' {
			if !validIPv4(b[i:]) {
				return false
			}
			groups += 2
			break
		}
		if j == i || j-i > 4 {
			return false
		}
		groups++
		if j == len(b) {
			break
		}
		if b[j] != ':' || j+1 == len(b) {
			return false
		}
		i = j + 1
		if b[i] == ':' {
			if elided {
				return false
			}
			elided = true
			i++
		}
	}
	if elided {
		return groups <= 7
	}
	return groups == 8
}

// validIPv4 checks a dotted-quad of dec-octets without leading zeros.
func validIPv4(b []byte) bool {
	for part := 0; part < 4; part++ {
		if part > 0 {
			if len(b) == 0 || b[0] != '.' {
				return false
			}
			b = b[1:]
		}
		n, v := 0, 0
		for n < len(b) && n < 4 && isDigit(b[n]) {
			v = v*10 + int(b[n]-'0')
			n++
		}
		if n == 0 || n > 3 || v > 255 || (n > 1 && b[0] == '0') {
			return false
		}
		b = b[n:]
	}
	return len(b) == 0
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// validValue reports whether b holds only field-value bytes (HTAB, SP,
// VCHAR, obs-text). Values are most of a head's bytes, so it checks eight
// at a time: a word passes outright unless some byte is below 0x20 or is
// 0x7f, and only such words (rare: usually a TAB) are checked bytewise.
// The below-n test cannot miss: the lowest offending byte borrows from no
// lower one, so its high bit is always set in the result.
func validValue(b []byte) bool {
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		lt := (x - lsb*0x20) &^ x & msb
		del := x ^ (lsb * 0x7f)
		del = (del - lsb) &^ del & msb
		if lt|del != 0 {
			for _, c := range b[:8] {
				if !valueTable[c] {
					return false
				}
			}
		}
		b = b[8:]
	}
	for _, c := range b {
		if !valueTable[c] {
			return false
		}
	}
	return true
}

// ValidTarget reports whether t is a request-target HTTP/1.1 would accept
// (origin, absolute or asterisk form; no fragment, no control or non-ASCII
// bytes, no malformed escape in the path). Other protocols use it to hold
// their targets to the same rules.
func ValidTarget(t []byte) bool { return validTarget(t) }

// ValidHost reports whether b is a valid Host value (uri-host, optional
// port); needHost rejects an empty one.
func ValidHost(b []byte, needHost bool) bool { return validHost(b, needHost, false) }

// ValidConnectAuthority reports whether b is a CONNECT request's
// authority as HTTP/1.1 accepts it: a host and a port (RFC 9110 §9.3.6).
func ValidConnectAuthority(b []byte) bool { return validHost(b, true, true) }

// ParseContentLength parses a Content-Length field value as ParseRequestHead
// does, for other protocols to hold theirs to the same rules: seen is the
// first member of the message's previous Content-Length field, nil for the
// first field, and first is this one's, for the next. ok is false for a
// value ParseRequestHead refuses.
func ParseContentLength(v, seen []byte) (n int64, first []byte, ok bool) {
	n, first, err := parseContentLength(v, seen)
	return n, first, err == nil
}
