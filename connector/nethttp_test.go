package connector_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The differential test of HTTP/1.1 request parsing and framing against
// net/http's server: the same raw bytes, sent over TCP to a Wharf
// container (both connectors) and to an httptest.Server, whose handlers
// report the same facts of each request. Where the two answer differently
// on purpose, the row's why says which side RFC 9112 (or RFC 9110) agrees
// with, and ours is what Wharf answers.

// diffRequest is one input of the differential test. A probe request
// (Connection: close) follows raw on the same connection, so that whether
// the connection stayed open is seen without waiting for a timeout.
type diffRequest struct {
	name string
	raw  string
	why  string // set where the servers differ on purpose
	ours string // Wharf's outcome where why is set (see outcome.String)
}

// factFields are the header fields both handlers report.
var factFields = []string{"X-A", "Content-Type"}

// probe follows every row's bytes; its answer says the connection carried
// on after them.
const probe = "GET /probe HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"

// Bodies and heads of the rows, to keep them short.
const (
	te = "Transfer-Encoding: chunked\r\n"
	ch = "3\r\nabc\r\n0\r\n\r\n"
)

var diffRequests = []diffRequest{
	// Request-line forms (RFC 9112 §3.2).
	{name: "origin-form", raw: "GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "absolute-form with Host", raw: "GET http://t.example/p?q HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "absolute-form without Host", raw: "GET http://t.example/p HTTP/1.1\r\n\r\n"},
	{name: "absolute-form https", raw: "GET https://t.example:8443/p HTTP/1.1\r\nHost: t.example:8443\r\n\r\n"},
	{name: "absolute-form, empty path", raw: "GET http://t.example HTTP/1.1\r\nHost: t.example\r\n\r\n",
		ours: "200 open", why: "an empty path is the root (RFC 9110 §4.2.3): Wharf gives the handler \"/\", net/http gives it \"\""},
	{name: "absolute-form, upper-case scheme", raw: "GET HTTP://t.example/p HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "absolute-form, other scheme", raw: "GET ftp://t.example/p HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "400 closed", why: "a server of http and https has no resource at an ftp URI (RFC 9112 §3.2.2); net/http serves it as if it were http"},
	{name: "authority-form CONNECT", raw: "CONNECT t.example:443 HTTP/1.1\r\nHost: t.example:443\r\n\r\n",
		ours: "404 open", why: "a CONNECT names an authority, not a path, so no path mapping serves it (TestConnectHasNoPath); net/http hands it to its one handler"},
	{name: "authority-form with GET", raw: "GET t.example:443 HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "400 closed", why: "the authority-form is only for CONNECT (RFC 9112 §3.2.3); net/http accepts it"},
	{name: "CONNECT with origin-form", raw: "CONNECT /p HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "400 closed", why: "CONNECT's target is in authority-form only (RFC 9112 §3.2.3); net/http accepts a path"},
	{name: "asterisk-form OPTIONS", raw: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "asterisk-form GET", raw: "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "400 closed", why: "the asterisk-form is only for OPTIONS (RFC 9112 §3.2.4); net/http gives GET a path of \"*\""},
	{name: "OPTIONS on a path", raw: "OPTIONS /p HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "lower-case method", raw: "get /p HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "method not a token", raw: "G@T /p HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "two spaces after the method", raw: "GET  /p HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "trailing space after the version", raw: "GET /p HTTP/1.1 \r\nHost: h\r\n\r\n"},
	{name: "empty target", raw: "GET  HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "leading empty line", raw: "\r\nGET /p HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "200 open", why: "a server SHOULD ignore an empty line before the request-line (RFC 9112 §2.2); net/http's server answers 400"},
	{name: "fragment in the target", raw: "GET /p#f HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "400 closed", why: "request-target has no fragment (RFC 9112 §3.2) and a client never sends one; net/http keeps \"#f\" in the path"},

	// Versions (RFC 9112 §2.3).
	{name: "HTTP/1.0", raw: "GET /p HTTP/1.0\r\n\r\n"},
	{name: "HTTP/1.0 with Host", raw: "GET /p HTTP/1.0\r\nHost: h\r\n\r\n"},
	{name: "HTTP/1.2", raw: "GET /p HTTP/1.2\r\nHost: h\r\n\r\n"},
	{name: "HTTP/1.10", raw: "GET /p HTTP/1.10\r\nHost: h\r\n\r\n"},
	{name: "HTTP/2.0", raw: "GET /p HTTP/2.0\r\nHost: h\r\n\r\n"},
	{name: "HTTP/0.9", raw: "GET /p HTTP/0.9\r\nHost: h\r\n\r\n"},
	{name: "lower-case http", raw: "GET /p http/1.1\r\nHost: h\r\n\r\n"},
	{name: "no version", raw: "GET /p\r\nHost: h\r\n\r\n"},
	{name: "version without minor", raw: "GET /p HTTP/1\r\nHost: h\r\n\r\n"},

	// Host (RFC 9112 §3.2, RFC 9110 §7.2).
	{name: "no Host", raw: "GET /p HTTP/1.1\r\n\r\n"},
	{name: "empty Host", raw: "GET /p HTTP/1.1\r\nHost:\r\n\r\n"},
	{name: "two equal Hosts", raw: "GET /p HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n"},
	{name: "two different Hosts", raw: "GET /p HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n"},
	{name: "Host list", raw: "GET /p HTTP/1.1\r\nHost: h, i\r\n\r\n"},
	{name: "Host with a port", raw: "GET /p HTTP/1.1\r\nHost: h:8080\r\n\r\n"},
	{name: "Host IPv6", raw: "GET /p HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"},
	{name: "Host with a space", raw: "GET /p HTTP/1.1\r\nHost: h i\r\n\r\n"},
	{name: "Host with a slash", raw: "GET /p HTTP/1.1\r\nHost: h/i\r\n\r\n"},
	{name: "Host with userinfo", raw: "GET /p HTTP/1.1\r\nHost: u@h\r\n\r\n"},
	{name: "Host non-numeric port", raw: "GET /p HTTP/1.1\r\nHost: h:x\r\n\r\n",
		ours: "400 closed", why: "port is *DIGIT (RFC 3986 §3.2.3) and an invalid Host MUST be answered 400 (RFC 9112 §3.2); net/http does not check the port"},
	{name: "Host percent-encoded", raw: "GET /p HTTP/1.1\r\nHost: h%41\r\n\r\n",
		ours: "400 closed", why: "stricter on purpose: a reg-name's escapes are legal (RFC 3986 §3.2.2) but only a disguise from a client, which sends punycode (see validHost); net/http passes them on"},

	// Field syntax (RFC 9112 §5).
	{name: "obs-fold", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n",
		ours: "400 closed", why: "a server MUST reject obs-fold with 400 or unfold it (RFC 9112 §5.2): Wharf rejects, net/http unfolds"},
	{name: "space before the colon", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX-A : a\r\n\r\n"},
	{name: "field name with @", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX@A: a\r\n\r\n"},
	{name: "field name with a non-ASCII byte", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX\xe9A: a\r\n\r\n"},
	{name: "field without a colon", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX-A\r\n\r\n"},
	{name: "value with surrounding white space", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX-A: \t a b \t\r\n\r\n"},
	{name: "value with a non-ASCII byte", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX-A: caf\xe9\r\n\r\n"},
	{name: "value with NUL", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n"},
	{name: "repeated field", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n\r\n"},
	{name: "field name case", raw: "GET /p HTTP/1.1\r\nhOST: h\r\ncontent-TYPE: text/x\r\n\r\n"},

	// Line endings (RFC 9112 §2.2).
	{name: "bare LF throughout", raw: "GET /p HTTP/1.1\nHost: h\n\n",
		ours: "400 closed", why: "a bare LF MAY be taken for CRLF (RFC 9112 §2.2): Wharf does not, net/http does"},
	{name: "bare LF after a field", raw: "GET /p HTTP/1.1\r\nHost: h\nX-A: a\r\n\r\n",
		ours: "400 closed", why: "as bare LF throughout"},
	{name: "bare LF ending the head", raw: "GET /p HTTP/1.1\r\nHost: h\r\n\n",
		ours: "400 closed", why: "as bare LF throughout"},
	{name: "bare CR in a value", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n"},

	// Lengths near the configured limits (8 KiB target, 16 KiB head).
	{name: "target of 8000 bytes", raw: "GET /" + strings.Repeat("a", 8000) + " HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "target of 8300 bytes", raw: "GET /" + strings.Repeat("a", 8300) + " HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "414 closed", why: "over Wharf's MaxURILength (8 KiB); net/http bounds the target only by MaxHeaderBytes"},
	{name: "head of 15 KiB", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX-A: " + strings.Repeat("a", 15<<10) + "\r\n\r\n"},
	{name: "head of 17 KiB", raw: "GET /p HTTP/1.1\r\nHost: h\r\nX-A: " + strings.Repeat("a", 17<<10) + "\r\n\r\n",
		ours: "431 closed", why: "over Wharf's MaxHeaderBytes (16 KiB); net/http allows 4 KiB more than its MaxHeaderBytes"},
	{name: "100 fields", raw: "GET /p HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X-B: b\r\n", 99) + "\r\n"},
	{name: "101 fields", raw: "GET /p HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X-B: b\r\n", 100) + "\r\n",
		ours: "431 closed", why: "over Wharf's MaxHeaders (100); net/http has no such limit"},

	// Content-Length (RFC 9112 §6.3, RFC 9110 §8.6).
	{name: "Content-Length", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"},
	{name: "Content-Length 0", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"},
	{name: "Content-Length leading zeros", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 005\r\n\r\nhello"},
	{name: "Content-Length +5", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello"},
	{name: "Content-Length 5, 5", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello",
		ours: "200 open", why: "a list of identical values MAY be accepted as that value (RFC 9110 §8.6); net/http refuses it"},
	{name: "Content-Length 5,5", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5,5\r\n\r\nhello",
		ours: "200 open", why: "as Content-Length 5, 5"},
	{name: "Content-Length twice, equal", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
	{name: "Content-Length twice, different", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 4\r\n\r\nhello"},
	{name: "Content-Length 5, 4", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 4\r\n\r\nhello"},
	{name: "Content-Length with a space inside", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 1 0\r\n\r\nhelloworld"},
	{name: "Content-Length and chunked", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n" + te + "\r\n" + ch,
		ours: "400 closed", why: "a server MAY reject both (RFC 9112 §6.1) and MUST close the connection if it does not; net/http reads the chunked body and keeps the connection open"},
	{name: "Content-Length on GET", raw: "GET /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"},
	{name: "Content-Length, body cut short", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nConnection: close\r\n\r\nhello"},

	// Transfer-Encoding (RFC 9112 §6.1, §7).
	{name: "chunked", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n" + ch},
	{name: "chunked upper case", raw: "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n" + ch},
	{name: "chunked with extensions", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n3;a=b;c\r\nabc\r\n0;d=\"e\"\r\n\r\n"},
	{name: "chunked, white space before an extension", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n3 ;a\r\nabc\r\n0\r\n\r\n",
		ours: "200 open", why: "chunk-ext allows BWS before \";\" (RFC 9112 §7.1.1); net/http refuses it"},
	{name: "chunked not last", raw: "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n" + ch,
		ours: "400 closed", why: "chunked not the final coding: RFC 9112 §6.3 says 400 and close; net/http answers 501, as for a coding it lacks (§6.1)"},
	{name: "gzip, chunked", raw: "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + ch},
	{name: "unknown coding", raw: "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo\r\n\r\n" + ch,
		ours: "400 closed", why: "no final chunked, so no length: RFC 9112 §6.3 says 400 and close; net/http answers 501"},
	{name: "identity", raw: "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc",
		ours: "400 closed", why: "both Transfer-Encoding and Content-Length: a 400 (RFC 9112 §6.1) before looking at the coding; net/http answers the unknown coding 501 (§6.1 too)"},
	{name: "chunked in two fields", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + te + "\r\n" + ch,
		ours: "400 closed", why: "chunked applied twice, which RFC 9112 §6.1 forbids: a framing error, 400; net/http answers 501"},
	{name: "chunked in HTTP/1.0", raw: "POST /p HTTP/1.0\r\n" + te + "\r\n" + ch,
		ours: "400 closed", why: "Transfer-Encoding in HTTP/1.0 MUST be treated as faulty framing (RFC 9112 §6.1): Wharf refuses it, net/http ignores it and reads no body"},
	{name: "chunk size with leading zeros", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n0003\r\nabc\r\n0\r\n\r\n"},
	{name: "chunk size over-long", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n" + strings.Repeat("0", 20) + "3\r\nabc\r\n0\r\n\r\n"},
	{name: "chunk size overflowing", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\nfffffffffffffffff\r\nabc\r\n0\r\n\r\n"},
	{name: "chunk size 0x", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n0x3\r\nabc\r\n0\r\n\r\n"},
	{name: "chunk without its CRLF", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n3\r\nabc0\r\n\r\n"},
	{name: "chunk size ended by bare LF", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n3\nabc\r\n0\r\n\r\n"},
	{name: "trailer", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n3\r\nabc\r\n0\r\nX-T: t\r\n\r\n"},
	{name: "declared trailer", raw: "POST /p HTTP/1.1\r\nHost: h\r\nTrailer: X-T\r\n" + te + "\r\n3\r\nabc\r\n0\r\nX-T: t\r\n\r\n"},
	{name: "trailer with obs-fold", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n3\r\nabc\r\n0\r\nX-T: t\r\n u\r\n\r\n",
		ours: "400 closed", why: "as obs-fold, in the trailer section (RFC 9112 §7.1.2)"},
	{name: "trailer without a colon", raw: "POST /p HTTP/1.1\r\nHost: h\r\n" + te + "\r\n3\r\nabc\r\n0\r\nX-T\r\n\r\n"},

	// Connection management (RFC 9112 §9).
	{name: "pipelined", raw: "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "pipelined after chunked", raw: "POST /1 HTTP/1.1\r\nHost: h\r\n" + te + "\r\n" + ch + "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "Connection: close", raw: "GET /p HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"},
	{name: "Connection: Close, upper case", raw: "GET /p HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n"},
	{name: "Connection list with close", raw: "GET /p HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n"},
	{name: "HTTP/1.0 keep-alive", raw: "GET /p HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{name: "HTTP/1.0 keep-alive, POST", raw: "POST /p HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "HTTP/1.0 without keep-alive", raw: "GET /p HTTP/1.0\r\nHost: h\r\n\r\n"},
	{name: "Expect: 100-continue", raw: "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "Expect: 100-continue, no body", raw: "GET /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"},
	{name: "Expect: 100-Continue, upper case", raw: "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "Expect: other", raw: "POST /p HTTP/1.1\r\nHost: h\r\nExpect: foo\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "Expect: 100-continue in HTTP/1.0", raw: "POST /p HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "Expect: 100-continue, other", raw: "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, foo\r\nContent-Length: 3\r\n\r\nabc",
		ours: "417 closed", why: "a member other than 100-continue anywhere in the Expect list is an expectation no one here meets, answered 417 (RFC 9110 §10.1.1); net/http looks only for 100-continue in the first field"},
	{name: "Expect: other, 100-continue", raw: "POST /p HTTP/1.1\r\nHost: h\r\nExpect: foo, 100-continue\r\nContent-Length: 3\r\n\r\nabc",
		ours: "417 closed", why: "as Expect: 100-continue, other"},
	{name: "Expect: 100-continue, other in a second field", raw: "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nExpect: foo\r\nContent-Length: 3\r\n\r\nabc",
		ours: "417 closed", why: "as Expect: 100-continue, other: a list split across fields is one list (RFC 9110 §5.3)"},
	{name: "Expect: other, 100-continue in a second field", raw: "POST /p HTTP/1.1\r\nHost: h\r\nExpect: foo\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "Expect: 100-continue, other in HTTP/1.0", raw: "POST /p HTTP/1.0\r\nExpect: 100-continue, foo\r\nContent-Length: 3\r\n\r\nabc",
		ours: "417 closed", why: "as Expect: 100-continue, other: HTTP/1.0 has no 100-continue to ignore the rest for"},
	{name: "Expect: 100-continue among empty members", raw: "POST /p HTTP/1.1\r\nHost: h\r\nExpect: ,\t100-Continue ,,\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "Expect: empty members only", raw: "POST /p HTTP/1.1\r\nHost: h\r\nExpect: , ,\r\nContent-Length: 3\r\n\r\nabc",
		ours: "200 open", why: "a list of empty members lists no expectation (RFC 9110 §5.6.1); net/http answers 417 to a first Expect field that does not name 100-continue"},
	{name: "Expect: 100-continue with a value", raw: "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue=1\r\nContent-Length: 3\r\n\r\nabc"},

	// The target's path (RFC 3986 §2.1, §5.2.4).
	{name: "escaped slash", raw: "GET /a%2Fb HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "400 open", why: "stricter on purpose: %2F makes a path two servers split differently, refused as ambiguous (container's badPath) on a connection framed well; net/http decodes it to \"/\""},
	{name: "escaped NUL", raw: "GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "400 open", why: "stricter on purpose: a NUL decoded into the path ends a file name and is no part of any name, so it is refused (container's badPath, as Jetty does); net/http hands it to the handler"},
	{name: "escaped LF", raw: "GET /a%0Ab HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "400 open", why: "as escaped NUL, for every control character (%01 to %1F, %7F) unless container.WithAmbiguousPaths: a log line or header field built from the path would carry it"},
	{name: "escaped NUL in the query", raw: "GET /p?a=%00%0A HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "malformed escape", raw: "GET /a%zzb HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "escaped non-ASCII", raw: "GET /caf%C3%A9 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "escape in the query", raw: "GET /p?a=%zz HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "dot segments", raw: "GET /a/./b/../c HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "200 open", why: "Wharf's handlers see the path with dot segments removed (RFC 3986 §5.2.4, internal/httppath); net/http's handler sees them (its ServeMux redirects)"},
	{name: "dot-dot above the root", raw: "GET /../a HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "200 open", why: "as dot segments"},
	{name: "escaped dot segment", raw: "GET /a/%2e%2e/b HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "400 open", why: "as escaped slash: %2e%2e is a dot segment to some readers and not to others"},
	{name: "double slash", raw: "GET //a//b HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "200 open", why: "as dot segments: Wharf merges the slashes"},
	{name: "NUL in the target", raw: "GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "control byte in the target", raw: "GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "non-ASCII byte in the target", raw: "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
		ours: "400 closed", why: "a target is ASCII (RFC 3986 §2, RFC 9112 §3.2): a raw byte over 0x7F is refused; net/http passes it on"},
	{name: "target without a leading slash", raw: "GET p HTTP/1.1\r\nHost: h\r\n\r\n"},
}

// outcome is what a server made of a row's bytes: the answers before the
// probe's, the facts its handler reported (for 2xx answers), and whether
// the probe was answered.
type outcome struct {
	statuses []int
	facts    []string
	open     bool
}

// String is the outcome without its facts: "200 200 open", "400 closed".
func (o outcome) String() string {
	var b strings.Builder
	for _, s := range o.statuses {
		b.WriteString(strconv.Itoa(s) + " ")
	}
	if o.open {
		b.WriteString("open")
	} else {
		b.WriteString("closed")
	}
	return b.String()
}

// facts is what both handlers report of a request, one line per fact.
func facts(method, path, query, host string, hdr func(string) []string, body []byte, trailer func(string) []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "method %q\npath %q\nquery %q\nhost %q\n", method, path, query, host)
	for _, f := range factFields {
		fmt.Fprintf(&b, "%s %q\n", f, hdr(f))
	}
	fmt.Fprintf(&b, "body %q\ntrailer %q\n", body, trailer("X-T"))
	return b.String()
}

// TestNetHTTPDifferential sends each of diffRequests to a Wharf server
// (the epoll connector and the portable one) and to a net/http server and
// compares the statuses, whether the connection stayed open, and what
// each handler saw.
func TestNetHTTPDifferential(t *testing.T) {
	ref := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/probe" {
			io.WriteString(w, "probe")
			return
		}
		b, err := io.ReadAll(r.Body)
		if err != nil { // as Wharf's handler returns its error: a 400
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, facts(r.Method, r.URL.Path, r.URL.RawQuery, r.Host, func(k string) []string { return r.Header[http.CanonicalHeaderKey(k)] }, b, func(k string) []string { return r.Trailer[http.CanonicalHeaderKey(k)] }))
	}))
	ref.Config.MaxHeaderBytes = 16 << 10 // Wharf's default; net/http allows 4 KiB more
	ref.Start()
	t.Cleanup(ref.Close)
	theirs := map[string]outcome{}
	for _, tt := range diffRequests {
		theirs[tt.name] = diffSend(t, ref.Listener.Addr().String(), tt.raw)
	}
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			if r.Path() == "/probe" {
				_, err := w.WriteString("probe")
				return err
			}
			b, err := io.ReadAll(r.Body())
			if err != nil {
				return err
			}
			_, err = w.WriteString(facts(r.Method(), r.Path(), r.RawQuery(), r.Host(), r.Header().Values, b, r.Trailer().Values))
			return err
		})
		addr := listen(t, c)
		for _, tt := range diffRequests {
			t.Run(tt.name, func(t *testing.T) {
				ours, theirs := diffSend(t, addr, tt.raw), theirs[tt.name]
				same := ours.String() == theirs.String() && strings.Join(ours.facts, "") == strings.Join(theirs.facts, "")
				switch {
				case tt.why == "" && !same:
					t.Errorf("Wharf: %s\n%s\nnet/http: %s\n%s", ours, strings.Join(ours.facts, "--\n"), theirs, strings.Join(theirs.facts, "--\n"))
				case tt.why != "" && same:
					t.Errorf("no longer differs (both %s): drop the why", ours)
				case tt.why != "" && ours.String() != tt.ours:
					t.Errorf("Wharf: %s, want %s (net/http: %s)", ours, tt.ours, theirs)
				}
			})
		}
	})
}

// diffSend sends raw and the probe on one connection to addr and reads
// the answers until the connection closes.
func diffSend(t *testing.T, addr, raw string) outcome {
	t.Helper()
	nc := wharftest.Dial(t, addr, 5*time.Second)
	defer nc.Close()
	go io.WriteString(nc, raw+probe) // a server may answer (and close) before reading it all
	var o outcome
	br := bufio.NewReader(nc)
	for {
		method := http.MethodGet
		if strings.HasPrefix(raw, "CONNECT") && len(o.statuses) == 0 {
			method = http.MethodConnect
		}
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("no answer: %v", err)
			}
			return o
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return o
		}
		if string(b) == "probe" {
			o.open = true
			return o
		}
		o.statuses = append(o.statuses, resp.StatusCode)
		if resp.StatusCode/100 == 2 {
			o.facts = append(o.facts, string(b))
		}
	}
}
