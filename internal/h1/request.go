package h1

import "bytes"

// Default limits, used when the corresponding Limits field is zero.
const (
	DefaultMaxHeaderBytes = 16 << 10
	DefaultMaxURILength   = 8 << 10
	DefaultMaxHeaders     = 100
)

// maxLeadingEmptyLines bounds the CRLFs skipped before a request line:
// RFC 9112 §2.2 tolerates a stray CRLF after a previous body, but an
// unbounded run would let a peer hold the parser without progress.
const maxLeadingEmptyLines = 4

// Limits bounds what ParseRequestHead accepts. Zero or negative fields
// mean the defaults.
type Limits struct {
	MaxHeaderBytes int // request line + header fields + final CRLF, leading empty lines included
	MaxURILength   int // request-target length
	MaxHeaders     int // number of header field lines
}

func (l Limits) resolve() (head, uri, fields int) {
	head, uri, fields = l.MaxHeaderBytes, l.MaxURILength, l.MaxHeaders
	if head <= 0 {
		head = DefaultMaxHeaderBytes
	}
	if uri <= 0 {
		uri = DefaultMaxURILength
	}
	if fields <= 0 {
		fields = DefaultMaxHeaders
	}
	return head, uri, fields
}

// Field is one header or trailer field line. Name is as received (not
// canonicalized); Value has surrounding whitespace removed.
type Field struct {
	Name, Value []byte
}

// RequestHead is a parsed request head. Its byte slices are views into the
// buffer given to ParseRequestHead and are valid as long as it is.
type RequestHead struct {
	Method, Target []byte
	Major, Minor   int     // always 1.0 or 1.1 (HTTP/1.2 to 1.9 read as 1.1)
	Fields         []Field // reused across parses
	Host           []byte  // Host field, or the authority of an absolute- or authority-form target
	ContentLength  int64   // -1 when absent
	Chunked        bool    // Transfer-Encoding: chunked
	Close          bool    // the connection must close after this exchange
	Expect100      bool    // Expect lists 100-continue in an HTTP/1.1 request
	ExpectOther    bool    // Expect lists another expectation, in any version: one no server here meets (417)
	Upgrade        []byte  // Upgrade field, when Connection names "upgrade" (HTTP/1.1 only)
}

// Reset clears h, keeping the capacity of Fields for the next parse.
func (h *RequestHead) Reset() {
	*h = RequestHead{Fields: h.Fields[:0], ContentLength: -1}
}

// Get returns the value of the first field named name (ASCII
// case-insensitive), or nil.
func (h *RequestHead) Get(name string) []byte {
	for i := range h.Fields {
		if EqualFold(h.Fields[i].Name, name) {
			return h.Fields[i].Value
		}
	}
	return nil
}

// headState collects what the field lines say about framing and
// connection management; it is resolved once the head is complete because
// several fields interact (Connection and Upgrade, CL and TE, Host count).
type headState struct {
	hosts     int
	host      []byte
	teFields  int
	teChunked bool // the one Transfer-Encoding field reads exactly "chunked"
	// What the Transfer-Encoding fields list, as one list in field order,
	// for telling the refusals apart (finish): whether its last coding is
	// chunked, how many times chunked is in it, and whether it has any
	// other coding.
	teLastChunked bool
	teChunks      int
	teOther       bool
	connClose     bool
	connKeep      bool
	connUpgrade   bool
	upgrade       []byte
	expect100     bool
	expectOther   bool
	length        []byte // the first Content-Length member's digits
}

// ParseRequestHead parses one request head from the start of buf into h.
// It returns the number of bytes consumed, through the blank line ending
// the head; bytes after it (a body, a pipelined request) are not looked at.
//
// If buf holds no complete head yet it returns ErrIncomplete, unless what
// is there already exceeds a limit, in which case the *Error is returned
// at once so a peer cannot make the caller buffer without bound. All other
// errors are *Error.
func ParseRequestHead(buf []byte, lim Limits, h *RequestHead) (int, error) {
	maxHead, maxURI, maxFields := lim.resolve()
	h.Reset()

	p := 0
	for i := 0; ; i++ {
		if p >= len(buf) {
			return 0, ErrIncomplete
		}
		if buf[p] == '\n' {
			return 0, errBareLF
		}
		if buf[p] != '\r' {
			break
		}
		if p+1 >= len(buf) {
			return 0, ErrIncomplete
		}
		if buf[p+1] != '\n' {
			return 0, errBareCR
		}
		if i == maxLeadingEmptyLines {
			return 0, errTooManyEmpty
		}
		p += 2
	}

	lf := bytes.IndexByte(buf[p:], '\n')
	if lf < 0 {
		return 0, incompleteRequestLine(buf, p, maxHead, maxURI)
	}
	lf += p
	if buf[lf-1] != '\r' {
		return 0, errBareLF
	}
	var st headState
	hostFromTarget, err := parseRequestLine(buf[p:lf-1], maxURI, h)
	if err != nil {
		return 0, err
	}
	p = lf + 1
	if p > maxHead {
		return 0, errHeadTooLarge
	}

	for {
		lf := bytes.IndexByte(buf[p:], '\n')
		if lf < 0 {
			if len(buf) > maxHead {
				return 0, errHeadTooLarge
			}
			return 0, ErrIncomplete
		}
		lf += p
		if lf == p || buf[lf-1] != '\r' {
			return 0, errBareLF
		}
		if lf+1 > maxHead {
			return 0, errHeadTooLarge
		}
		line := buf[p : lf-1]
		p = lf + 1
		if len(line) == 0 {
			break
		}
		if len(h.Fields) >= maxFields {
			return 0, errTooManyFields
		}
		name, value, err := parseFieldLine(line)
		if err != nil {
			return 0, err
		}
		h.Fields = append(h.Fields, Field{Name: name, Value: value})
		if err := st.field(name, value, h); err != nil {
			return 0, err
		}
	}

	if err := st.finish(h, hostFromTarget); err != nil {
		return 0, err
	}
	return p, nil
}

// OnlyEmptyLines reports whether b, what a connection holds of its next
// request, has no byte of a request-line yet: nothing, or only the empty
// lines (CRLFs, the last maybe cut after its CR) that RFC 9112 §2.2 has a
// server ignore before one, as ParseRequestHead skips them (up to its
// bound). A client sends them after a request (an old client's CRLF after
// a POST body): a connector waits for the next request as on an idle
// connection then, not as for a head begun, which a 408 would answer.
func OnlyEmptyLines(b []byte) bool {
	for i := 0; i < len(b); i += 2 {
		if b[i] != '\r' || i+1 < len(b) && b[i+1] != '\n' {
			return false
		}
	}
	return true
}

// incompleteRequestLine decides between waiting for more input and
// rejecting a partial request line that can no longer become valid or fit
// the limits. Failing early matters for garbage such as a TLS handshake on
// a plaintext port, which would otherwise hold the connection until the
// head limit or a timeout.
func incompleteRequestLine(buf []byte, p, maxHead, maxURI int) error {
	line := buf[p:]
	n := tokenLen(line)
	if n < len(line) {
		if line[n] != ' ' || n == 0 {
			return errMethod
		}
		target := line[n+1:]
		if sp := bytes.IndexByte(target, ' '); sp >= 0 {
			target = target[:sp]
		}
		if len(target) > maxURI {
			return errURITooLong
		}
		for _, c := range target {
			if c < ' ' || c >= 0x7f {
				return errTarget
			}
		}
	}
	if len(buf) > maxHead {
		return errHeadTooLarge
	}
	return ErrIncomplete
}

// parseRequestLine parses "method SP request-target SP HTTP-version"
// (CRLF already removed). It reports whether the target carries the
// authority (absolute or authority form), in which case h.Host is set
// from it.
func parseRequestLine(line []byte, maxURI int, h *RequestHead) (hostFromTarget bool, err *Error) {
	// The method is a token ended by the first space: one scan finds
	// both, and only a line that fails it is searched for the space, to
	// tell a line without one from a method that is not a token.
	sp := tokenLen(line)
	if sp == 0 || sp == len(line) || line[sp] != ' ' {
		if bytes.IndexByte(line, ' ') < 0 {
			return false, errRequestLine
		}
		return false, errMethod
	}
	method := line[:sp]
	rest := line[sp+1:]
	sp = bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return false, errRequestLine
	}
	target, version := rest[:sp], rest[sp+1:]
	if len(target) > maxURI {
		return false, errURITooLong
	}
	if len(target) == 0 {
		// Two spaces in a row: RFC 9112 §3 allows no lenience here
		// because other parsers might split the line differently.
		return false, errRequestLine
	}
	if !validTarget(target) {
		return false, errTarget
	}

	switch {
	case len(version) == 8 && string(version[:7]) == "HTTP/1." && isDigit(version[7]):
		// A later minor version is read as 1.1, the highest we conform
		// to (RFC 9110 §2.5): it is backwards-compatible by definition,
		// and 505 is about the major version (§15.6.6).
		h.Major, h.Minor = 1, min(int(version[7]-'0'), 1)
	case len(version) == 8 && string(version[:5]) == "HTTP/" && isDigit(version[5]) && version[6] == '.' && isDigit(version[7]):
		return false, errVersionUnsup
	default:
		return false, errVersion
	}

	isConnect := string(method) == "CONNECT"
	switch {
	case isConnect:
		if !validHost(target, true, true) {
			return false, errConnectTarget
		}
		// RFC 9112 §3.3: the authority-form target is the authority.
		h.Host = target
		hostFromTarget = true
	case target[0] == '/':
	case len(target) == 1 && target[0] == '*':
		if string(method) != "OPTIONS" {
			return false, errAsterisk
		}
	default:
		auth, ok := absoluteAuthority(target)
		if !ok {
			return false, errTarget
		}
		if !validHost(auth, true, false) {
			return false, errTargetAuthority
		}
		h.Host = auth
		hostFromTarget = true
	}
	h.Method, h.Target = method, target
	return hostFromTarget, nil
}

// validTarget checks that the request-target is visible ASCII without a
// fragment ('#' never belongs in a request-target, RFC 9112 §3.2, and
// servers disagree on where such a target's host or path ends) and that
// every '%' before the query starts a valid escape. The path is decoded for
// routing, where a malformed escape could be read differently by us and by
// a proxy in front; the query is the application's business, and raw '%'
// in it is common enough in the wild to tolerate (net/http does too).
func validTarget(t []byte) bool {
	// The path, up to the query: every byte is looked up once, and only
	// '%' and '?' (targetSpecial) need more than the lookup.
	i := 0
	for ; i < len(t); i++ {
		k := targetTable[t[i]]
		if k == targetPlain {
			continue
		}
		if k == targetBad {
			return false
		}
		if t[i] == '?' {
			break
		}
		// '%' in the path: a valid escape.
		if i+2 >= len(t) {
			return false
		}
		if _, ok := unhex(t[i+1]); !ok {
			return false
		}
		if _, ok := unhex(t[i+2]); !ok {
			return false
		}
	}
	// The query, if any: visible ASCII without '#', raw '%' allowed.
	for ; i < len(t); i++ {
		if targetTable[t[i]] == targetBad {
			return false
		}
	}
	return true
}

// absoluteAuthority returns the authority of an http or https absolute-form
// target. Other schemes are refused: this is an origin server, not a proxy.
func absoluteAuthority(t []byte) ([]byte, bool) {
	var rest []byte
	switch {
	case len(t) >= 7 && EqualFold(t[:7], "http://"):
		rest = t[7:]
	case len(t) >= 8 && EqualFold(t[:8], "https://"):
		rest = t[8:]
	default:
		return nil, false
	}
	for i, c := range rest {
		if c == '/' || c == '?' || c == '#' {
			return rest[:i], true
		}
	}
	return rest, true
}

// parseFieldLine splits and validates one field line (CRLF removed). It is
// shared by request heads and chunked trailers.
func parseFieldLine(line []byte) (name, value []byte, err *Error) {
	if line[0] == ' ' || line[0] == '\t' {
		// obs-fold (RFC 9112 §5.2), or whitespace before the first
		// field (§2.2): both are rejected rather than unfolded.
		return nil, nil, errObsFold
	}
	// The name is a token ended by the colon: one scan finds both, and
	// only a line that fails it is searched for the colon, to tell a line
	// without one from a name that is not a token. A token has no
	// whitespace, so whitespace before the colon is refused (RFC 9112
	// §5.1), which some parsers strip and others keep in the name.
	colon := tokenLen(line)
	if colon == 0 || colon == len(line) || line[colon] != ':' {
		if bytes.IndexByte(line, ':') < 0 {
			return nil, nil, errFieldNoColon
		}
		return nil, nil, errFieldName
	}
	name = line[:colon]
	value = trimOWS(line[colon+1:])
	if !validValue(value) {
		return nil, nil, errFieldValue
	}
	return name, value, nil
}

// field records the framing-relevant meaning of one header field. Names
// are dispatched on length first so most fields cost one comparison.
func (st *headState) field(name, value []byte, h *RequestHead) *Error {
	switch len(name) {
	case 4:
		if EqualFold(name, "host") {
			st.hosts++
			if st.hosts > 1 {
				return errDupHost
			}
			if !validHost(value, false, false) {
				return errHostSyntax
			}
			st.host = value
		}
	case 6:
		if EqualFold(name, "expect") {
			st.expect(value)
		}
	case 7:
		if EqualFold(name, "upgrade") && st.upgrade == nil && len(value) > 0 {
			st.upgrade = value
		}
	case 10:
		if EqualFold(name, "connection") {
			st.connClose = st.connClose || ContainsToken(value, "close")
			st.connKeep = st.connKeep || ContainsToken(value, "keep-alive")
			st.connUpgrade = st.connUpgrade || ContainsToken(value, "upgrade")
		}
	case 14:
		if EqualFold(name, "content-length") {
			n, first, err := parseContentLength(value, st.length)
			if err != nil {
				return err
			}
			h.ContentLength, st.length = n, first
		}
	case 17:
		if EqualFold(name, "transfer-encoding") {
			st.teFields++
			st.teChunked = EqualFold(value, "chunked")
			st.transferCodings(value)
		}
	}
	return nil
}

// transferCodings adds the codings of one Transfer-Encoding field value
// to what st knows of the list. Empty members are skipped (RFC 9110
// §5.6.1); a member's parameters, if any, make it another coding than
// chunked, which takes none.
func (st *headState) transferCodings(v []byte) {
	for len(v) > 0 {
		var elem []byte
		elem, v = cutByte(v, ',')
		elem = trimOWS(elem)
		if len(elem) == 0 {
			continue
		}
		st.teLastChunked = EqualFold(elem, "chunked")
		if st.teLastChunked {
			st.teChunks++
		} else {
			st.teOther = true
		}
	}
}

// finish applies the rules that need the whole head.
func (st *headState) finish(h *RequestHead, hostFromTarget bool) *Error {
	if st.hosts == 0 && h.Minor == 1 {
		// RFC 9112 §3.2 requires Host in every HTTP/1.1 request, even
		// one whose target carries the authority.
		return errMissingHost
	}
	if !hostFromTarget {
		h.Host = st.host
	}
	if st.teFields > 0 {
		// Checked in this order so the most specific smuggling signal
		// wins: an HTTP/1.0 recipient may not understand chunked at
		// all (RFC 9112 §6.1), and CL+TE is the classic desync.
		if h.Minor == 0 {
			return errTE10
		}
		if h.ContentLength >= 0 {
			return errFraming
		}
		// Only one field saying exactly "chunked" is read. Of the rest,
		// RFC 9112 §6.3 has a server answer 400 when chunked is not the
		// final coding, since then nothing says where the body ends;
		// "chunked, chunked" (which §6.1 forbids a sender) is a smuggling
		// probe, and a list with empty members or split across fields,
		// though the same codings, is one other parsers read otherwise
		// (net/http refuses it). Only a coding we do not implement under
		// a final chunked is the 501 of §6.1.
		switch {
		case st.teFields == 1 && st.teChunked:
			h.Chunked = true
		case !st.teLastChunked:
			return errTENotFinal
		case st.teChunks > 1:
			return errTEChunkedTwice
		case st.teOther:
			return errTEUnsupported
		default:
			return errTEList
		}
	}
	if h.Minor == 0 {
		h.Close = st.connClose || !st.connKeep
	} else {
		h.Close = st.connClose
		// RFC 9110 §7.8 and §10.1.1: Upgrade and a 100-continue
		// expectation are ignored in HTTP/1.0 requests.
		if st.connUpgrade {
			h.Upgrade = st.upgrade
		}
		h.Expect100 = st.expect100
	}
	h.ExpectOther = st.expectOther
	return nil
}

// expect reads one Expect field's members (ExpectMembers): the list is
// one across its fields, so each field's verdict adds to the others'.
func (st *headState) expect(list []byte) {
	cont, other := ExpectMembers(list)
	st.expect100 = st.expect100 || cont
	st.expectOther = st.expectOther || other
}

// parseContentLength parses a Content-Length value. RFC 9110 §8.6 lets a
// sender repeat it, as a list or across fields, only when every member is
// the same number; h1 asks for the same digits, so "5" beside "05" is
// refused as differing. net/http refuses that pair too, and a proxy that
// compares the text could otherwise frame the body differently from us.
// seen is the first member's digits from an earlier field, nil if none;
// the first member's digits are returned for the next field.
func parseContentLength(v, seen []byte) (int64, []byte, *Error) {
	for {
		elem, rest := cutByte(v, ',')
		elem = trimOWS(elem)
		if len(elem) == 0 {
			return 0, nil, errContentLength
		}
		var n int64
		for _, c := range elem {
			if !isDigit(c) {
				return 0, nil, errContentLength
			}
			d := int64(c - '0')
			if n > (1<<63-1-d)/10 {
				return 0, nil, errContentLength
			}
			n = n*10 + d
		}
		if seen != nil && !bytes.Equal(elem, seen) {
			return 0, nil, errContentLengthNE
		}
		seen = elem
		if rest == nil {
			return n, seen, nil
		}
		v = rest
	}
}
