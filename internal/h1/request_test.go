package h1

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// reqWant is the expected outcome of a successful parse.
type reqWant struct {
	method, target string
	minor          int
	fields         []string // name, value, name, value...; nil means "don't check"
	host           string
	cl             int64
	chunked        bool
	close          bool
	expect100      bool
	expectOther    bool
	upgrade        string
	n              int // bytes consumed; 0 means len(in)
}

// reqCase is one row of the request table; want == nil means an error is
// expected: err (matched with errors.Is) and, for protocol errors, status.
type reqCase struct {
	name   string
	in     string
	lim    Limits
	want   *reqWant
	status int
	err    error
}

const typicalGET = "GET /static/app.js?v=3 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n" +
	"Accept: */*\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Referer: https://www.example.com/\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: session=0123456789abcdef; theme=dark\r\n" +
	"\r\n"

func ok(w reqWant) *reqWant { return &w }

// requestCases is shared by the table test and the fuzzer's seed corpus.
var requestCases = []reqCase{
	// Valid requests.
	{name: "minimal", in: "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, fields: []string{"Host", "a"}, host: "a", cl: -1})},
	{name: "typical browser GET", in: typicalGET,
		want: ok(reqWant{method: "GET", target: "/static/app.js?v=3", minor: 1, host: "www.example.com", cl: -1,
			fields: []string{
				"Host", "www.example.com",
				"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
				"Accept", "*/*",
				"Accept-Language", "en-US,en;q=0.5",
				"Accept-Encoding", "gzip, deflate, br",
				"Referer", "https://www.example.com/",
				"Connection", "keep-alive",
				"Cookie", "session=0123456789abcdef; theme=dark",
			}})},
	{name: "leading empty lines skipped", in: "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, host: "a", cl: -1})},
	{name: "four leading empty lines", in: "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, host: "a", cl: -1})},
	{name: "POST with Content-Length", in: "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
		want: ok(reqWant{method: "POST", target: "/form", minor: 1, host: "a", cl: 11, n: 52})},
	{name: "Content-Length zero", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		want: ok(reqWant{method: "POST", target: "/", minor: 1, host: "a", cl: 0})},
	{name: "Content-Length max int64", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n",
		want: ok(reqWant{method: "POST", target: "/", minor: 1, host: "a", cl: 1<<63 - 1})},
	{name: "Content-Length leading zeros", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n",
		want: ok(reqWant{method: "POST", target: "/", minor: 1, host: "a", cl: 7})},
	{name: "Content-Length repeated identical", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
		want: ok(reqWant{method: "POST", target: "/", minor: 1, host: "a", cl: 5})},
	{name: "Content-Length identical list", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 ,5,\t5\r\n\r\n",
		want: ok(reqWant{method: "POST", target: "/", minor: 1, host: "a", cl: 5})},
	{name: "chunked", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		want: ok(reqWant{method: "POST", target: "/", minor: 1, host: "a", cl: -1, chunked: true})},
	{name: "chunked case and OWS", in: "POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: \t ChUnKeD \r\n\r\n",
		want: ok(reqWant{method: "POST", target: "/", minor: 1, host: "a", cl: -1, chunked: true})},
	{name: "HTTP/1.0 without Host closes", in: "GET / HTTP/1.0\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 0, fields: []string{}, cl: -1, close: true})},
	{name: "HTTP/1.0 keep-alive", in: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 0, cl: -1})},
	{name: "HTTP/1.0 keep-alive and close", in: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 0, cl: -1, close: true})},
	{name: "Connection close", in: "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, host: "a", cl: -1, close: true})},
	{name: "Connection close in list across fields", in: "GET / HTTP/1.1\r\nConnection: foo\r\nHost: a\r\nConnection: bar,, CLOSE \r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, host: "a", cl: -1, close: true})},
	{name: "Connection closed is not close", in: "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, host: "a", cl: -1})},
	{name: "Expect 100-continue", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expect100: true})},
	{name: "Expect ignored in HTTP/1.0", in: "PUT /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 0, cl: 3, close: true})},
	{name: "Expect other", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 3\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expectOther: true})},
	{name: "Expect other in HTTP/1.0", in: "PUT /x HTTP/1.0\r\nExpect: 100-continue, teapot\r\nContent-Length: 3\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 0, cl: 3, close: true, expectOther: true})},
	{name: "Expect list, other after 100-continue", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, teapot\r\nContent-Length: 3\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expect100: true, expectOther: true})},
	{name: "Expect list, other before 100-continue", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: teapot,100-continue\r\nContent-Length: 3\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expect100: true, expectOther: true})},
	{name: "Expect 100-continue in the second field", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 3\r\nexpect: 100-continue\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expect100: true, expectOther: true})},
	{name: "Expect other in the second field", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\nEXPECT: teapot\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expect100: true, expectOther: true})},
	{name: "Expect 100-continue in two fields", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\nExpect: 100-CONTINUE\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expect100: true})},
	{name: "Expect empty members and OWS", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: ,\t, 100-Continue \t,,\r\nContent-Length: 3\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expect100: true})},
	{name: "Expect only empty members", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: , ,\r\nContent-Length: 3\r\nExpect:\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3})},
	{name: "Expect 100-continue with a value", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue=1\r\nContent-Length: 3\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expectOther: true})},
	{name: "Expect look-alike", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continued\r\nContent-Length: 3\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expectOther: true})},
	{name: "Expect quoted comma", in: "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: a=\"b, 100-continue\"\r\nContent-Length: 3\r\n\r\n",
		want: ok(reqWant{method: "PUT", target: "/x", minor: 1, host: "a", cl: 3, expectOther: true})},
	{name: "Upgrade", in: "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/ws", minor: 1, host: "a", cl: -1, upgrade: "websocket"})},
	{name: "Upgrade without Connection token", in: "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/ws", minor: 1, host: "a", cl: -1})},
	{name: "Upgrade ignored in HTTP/1.0", in: "GET /ws HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/ws", minor: 0, cl: -1, close: true})},
	{name: "absolute-form", in: "GET http://example.com/x?y HTTP/1.1\r\nHost: other.example\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "http://example.com/x?y", minor: 1, host: "example.com", cl: -1})},
	{name: "absolute-form https port query only", in: "GET HTTPS://example.com:8443?q=1 HTTP/1.1\r\nHost: example.com:8443\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "HTTPS://example.com:8443?q=1", minor: 1, host: "example.com:8443", cl: -1})},
	{name: "absolute-form HTTP/1.0 without Host", in: "GET http://example.com HTTP/1.0\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "http://example.com", minor: 0, host: "example.com", cl: -1, close: true})},
	{name: "asterisk-form", in: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		want: ok(reqWant{method: "OPTIONS", target: "*", minor: 1, host: "a", cl: -1})},
	{name: "authority-form", in: "CONNECT example.com:443 HTTP/1.1\r\nHost: proxy.example\r\n\r\n",
		want: ok(reqWant{method: "CONNECT", target: "example.com:443", minor: 1, host: "example.com:443", cl: -1})},
	{name: "authority-form, highest port", in: "CONNECT example.com:65535 HTTP/1.1\r\nHost: proxy.example\r\n\r\n",
		want: ok(reqWant{method: "CONNECT", target: "example.com:65535", minor: 1, host: "example.com:65535", cl: -1})},
	{name: "authority-form, port with a leading zero", in: "CONNECT example.com:00443 HTTP/1.1\r\nHost: proxy.example\r\n\r\n",
		want: ok(reqWant{method: "CONNECT", target: "example.com:00443", minor: 1, host: "example.com:00443", cl: -1})},
	{name: "authority-form IPv6", in: "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n",
		want: ok(reqWant{method: "CONNECT", target: "[2001:db8::1]:443", minor: 1, host: "[2001:db8::1]:443", cl: -1})},
	{name: "Host IPv6 with port", in: "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, host: "[::1]:8080", cl: -1})},
	{name: "Host IPv4, the next head left unread", in: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET / HTTP/1.1\r\nHost: b\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, host: "127.0.0.1", cl: -1, n: 35})},
	{name: "Host punycode with port", in: "GET / HTTP/1.1\r\nHost: xn--caf-dma:8080\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, host: "xn--caf-dma:8080", cl: -1})},
	{name: "Host empty", in: "GET / HTTP/1.1\r\nHost:\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, fields: []string{"Host", ""}, host: "", cl: -1})},
	{name: "value OWS trimmed, inner HTAB and obs-text kept", in: "GET / HTTP/1.1\r\nHost: a\r\nX-A: \t a\tb \xff\xe9 \t\r\nX-Empty:\r\nX-Sp:   \r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, host: "a", cl: -1,
			fields: []string{"Host", "a", "X-A", "a\tb \xff\xe9", "X-Empty", "", "X-Sp", ""}})},
	{name: "colon in value", in: "GET / HTTP/1.1\r\nHost: a:80\r\nX-Url: http://x/y\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, host: "a:80", cl: -1, fields: []string{"Host", "a:80", "X-Url", "http://x/y"}})},
	{name: "extension method and odd target chars", in: "M-SEARCH /a/b;c=d?e=%20&f=[]~!$ HTTP/1.1\r\nHost: a\r\n\r\n",
		want: ok(reqWant{method: "M-SEARCH", target: "/a/b;c=d?e=%20&f=[]~!$", minor: 1, host: "a", cl: -1})},
	{name: "raw percent in query tolerated", in: "GET /a%2F?q=100%&r=%zz HTTP/1.1\r\nHost: a\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/a%2F?q=100%&r=%zz", minor: 1, host: "a", cl: -1})},
	{name: "pipelined stops at first", in: "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/1", minor: 1, host: "a", cl: -1, n: 28})},
	{name: "at limits exactly", in: "GET /0123456789 HTTP/1.1\r\nHost: a\r\nB: b\r\nC: c\r\n\r\n",
		lim:  Limits{MaxHeaderBytes: 49, MaxURILength: 11, MaxHeaders: 3},
		want: ok(reqWant{method: "GET", target: "/0123456789", minor: 1, host: "a", cl: -1})},

	// Incomplete input.
	{name: "incomplete head", in: "GET / HTTP/1.1\r\nHost: a\r\n", err: ErrIncomplete},
	{name: "incomplete empty", in: "", err: ErrIncomplete},
	{name: "incomplete CR", in: "\r\n\r", err: ErrIncomplete},

	// Framing and smuggling.
	{name: "CL and TE", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, err: ErrConflictingFraming},
	{name: "TE and CL", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", status: 400, err: ErrConflictingFraming},
	{name: "CL and TE gzip", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n", status: 400, err: ErrConflictingFraming},
	{name: "duplicate different CL", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "CL list different", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "duplicate CL spelled two ways", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "CL list spelled two ways", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 05, 5\r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "CL list empty element", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "CL plus sign", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "CL negative", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "CL inner space", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "CL hex", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "CL empty", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "CL overflow", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", status: 400, err: ErrBadContentLength},
	{name: "CL huge overflow", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", status: 400, err: ErrBadContentLength},
	// RFC 9112 §6.3: chunked not the final coding, or applied twice, is a
	// 400; only a coding we lack under a final chunked is §6.1's 501.
	{name: "TE gzip", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE chunked, gzip", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE gzip, chunked", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501, err: ErrUnsupportedTransferEncoding},
	{name: "TE gzip then chunked fields", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", status: 501, err: ErrUnsupportedTransferEncoding},
	{name: "TE chunked then gzip fields", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE chunked, chunked", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE twice", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE identity", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE chunked with junk", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE empty", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE chunked with parameter", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE list with an empty member", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE empty field then chunked", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "TE in HTTP/1.0", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "obs-fold", in: "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "obs-fold tab", in: "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "fragment in origin-form", in: "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "fragment in absolute-form", in: "GET http://0# HTTP/1.0\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "whitespace before first field", in: "GET / HTTP/1.1\r\n Host: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "space before colon", in: "GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "tab before colon", in: "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "no colon", in: "GET / HTTP/1.1\r\nHost: a\r\nfoo\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "empty field name", in: "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "non-token field name", in: "GET / HTTP/1.1\r\nHost: a\r\nX(y): x\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "NUL in value", in: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x00b\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "CR in value", in: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "DEL in value", in: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x7fb\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "bare LF ends header", in: "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "bare LF ends request line", in: "GET / HTTP/1.1\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "bare LF ends head", in: "GET / HTTP/1.1\r\nHost: a\r\n\n", status: 400, err: ErrBadRequest},
	{name: "bare LF leading", in: "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "bare CR leading", in: "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "too many leading empty lines", in: "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},

	// Request line.
	{name: "CTL in target", in: "GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "DEL in target", in: "GET /a\x7fb HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "high byte in target", in: "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "tab in target", in: "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "CR in request line", in: "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "HTTP/2.0", in: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505, err: ErrBadVersion},
	{name: "HTTP/1.2 read as 1.1", in: "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
		want: ok(reqWant{method: "GET", target: "/", minor: 1, fields: []string{"Host", "a"}, host: "a", cl: -1})},
	{name: "HTTP/1.9 read as 1.1, Host required", in: "GET / HTTP/1.9\r\n\r\n", status: 400, err: ErrMissingHost},
	{name: "HTTP/0.9", in: "GET / HTTP/0.9\r\n\r\n", status: 505, err: ErrBadVersion},
	{name: "lowercase version", in: "GET / http/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "garbage version", in: "GET / FOO\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "two-digit version", in: "GET / HTTP/11.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "short version", in: "GET / HTTP/1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "trailing space after version", in: "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "HTTP/0.9 simple request", in: "GET /\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "double space", in: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "tab separator", in: "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "empty method", in: " / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "bad method char", in: "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "empty line only then garbage", in: "\r\nfoo\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "bad escape in path", in: "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "truncated escape in path", in: "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "asterisk with GET", in: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "authority-form with GET", in: "GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "CONNECT origin-form", in: "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "CONNECT without Host", in: "CONNECT example.com:443 HTTP/1.1\r\n\r\n", status: 400, err: ErrMissingHost},
	{name: "CONNECT without port", in: "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "CONNECT to port 0", in: "CONNECT example.com:0 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "CONNECT to port 65536", in: "CONNECT example.com:65536 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "CONNECT to port 99999", in: "CONNECT [::1]:99999 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "relative target", in: "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "ftp absolute-form", in: "GET ftp://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "absolute-form empty host", in: "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "absolute-form userinfo", in: "GET http://evil@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "absolute-form bad Host header", in: "GET http://example.com/ HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "absolute-form HTTP/1.1 without Host", in: "GET http://example.com/ HTTP/1.1\r\n\r\n", status: 400, err: ErrMissingHost},

	// Host.
	{name: "missing Host", in: "GET / HTTP/1.1\r\nX: y\r\n\r\n", status: 400, err: ErrMissingHost},
	{name: "two Hosts", in: "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "two Hosts HTTP/1.0", in: "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host with space", in: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host with userinfo", in: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host with path", in: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host bad port", in: "GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host long port", in: "GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host two colons", in: "GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host unclosed bracket", in: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host bad IPv6 char", in: "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host bad pct", in: "GET / HTTP/1.1\r\nHost: a%2\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host pct-encoded ASCII", in: "GET / HTTP/1.1\r\nHost: a%2Db\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host pct-encoded NUL", in: "GET / HTTP/1.1\r\nHost: a%00\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "absolute-form pct-encoded NUL", in: "GET http://%00/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "Host pct-encoded UTF-8", in: "GET / HTTP/1.1\r\nHost: caf%c3%a9\r\n\r\n", status: 400, err: ErrBadHost},
	{name: "absolute-form pct-encoded UTF-8", in: "GET http://%80/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, err: ErrBadHost},

	// Limits.
	{name: "too many headers", in: "GET / HTTP/1.1\r\nHost: a\r\nB: b\r\nC: c\r\nD: d\r\n\r\n",
		lim: Limits{MaxHeaders: 3}, status: 431, err: ErrTooManyHeaders},
	{name: "too many headers incomplete", in: "GET / HTTP/1.1\r\nHost: a\r\nB: b\r\nC: c\r\nD: d\r\n",
		lim: Limits{MaxHeaders: 3}, status: 431, err: ErrTooManyHeaders},
	{name: "head one byte too large", in: "GET /0123456789 HTTP/1.1\r\nHost: a\r\nB: b\r\nC: c\r\n\r\n",
		lim: Limits{MaxHeaderBytes: 48}, status: 431, err: ErrHeaderTooLarge},
	{name: "head too large incomplete", in: "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("x", 60),
		lim: Limits{MaxHeaderBytes: 64}, status: 431, err: ErrHeaderTooLarge},
	{name: "request line too large incomplete", in: "GET /" + strings.Repeat("x", 70),
		lim: Limits{MaxHeaderBytes: 64}, status: 431, err: ErrHeaderTooLarge},
	{name: "URI too long", in: "GET /0123456789a HTTP/1.1\r\nHost: a\r\n\r\n",
		lim: Limits{MaxURILength: 11}, status: 414, err: ErrURITooLong},
	{name: "URI too long incomplete", in: "GET /0123456789a",
		lim: Limits{MaxURILength: 11}, status: 414, err: ErrURITooLong},
	{name: "default URI limit", in: "GET /" + strings.Repeat("a", DefaultMaxURILength) + " HTTP/1.1\r\n",
		status: 414, err: ErrURITooLong},
	{name: "default head limit", in: "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("a", DefaultMaxHeaderBytes),
		status: 431, err: ErrHeaderTooLarge},

	// Early rejection of a partial request line.
	{name: "TLS handshake", in: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", status: 400, err: ErrBadRequest},
	{name: "partial CTL in target", in: "GET /a\x00", status: 400, err: ErrBadRequest},
}

func sameMemory(sub, buf []byte) bool {
	if len(sub) == 0 {
		return true
	}
	s := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	b := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return s >= b && s+uintptr(len(sub)) <= b+uintptr(len(buf))
}

func fieldsList(h *RequestHead) []string {
	out := []string{}
	for _, f := range h.Fields {
		out = append(out, string(f.Name), string(f.Value))
	}
	return out
}

func checkStatus(t *testing.T, err error, status int, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	var pe *Error
	if status == 0 {
		if errors.As(err, &pe) {
			t.Fatalf("err = %v is a protocol error, want bare %v", err, sentinel)
		}
		return
	}
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T) is not *Error", err, err)
	}
	if pe.Status != status {
		t.Fatalf("status = %d, want %d (%v)", pe.Status, status, err)
	}
}

func TestParseRequestHead(t *testing.T) {
	// One head shared by every case, dirtied by the previous one, so a
	// field that Reset forgets shows up as a failure.
	var h RequestHead
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			n, err := ParseRequestHead(in, tc.lim, &h)
			if tc.want == nil {
				if n != 0 {
					t.Errorf("n = %d on error", n)
				}
				checkStatus(t, err, tc.status, tc.err)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			w := tc.want
			wn := w.n
			if wn == 0 {
				wn = len(in)
			}
			if n != wn {
				t.Errorf("n = %d, want %d", n, wn)
			}
			if string(h.Method) != w.method || string(h.Target) != w.target {
				t.Errorf("method, target = %q, %q, want %q, %q", h.Method, h.Target, w.method, w.target)
			}
			if h.Major != 1 || h.Minor != w.minor {
				t.Errorf("version = %d.%d, want 1.%d", h.Major, h.Minor, w.minor)
			}
			if w.fields != nil {
				if got := fieldsList(&h); strings.Join(got, "|") != strings.Join(w.fields, "|") || len(got) != len(w.fields) {
					t.Errorf("fields = %q, want %q", got, w.fields)
				}
			}
			if string(h.Host) != w.host {
				t.Errorf("host = %q, want %q", h.Host, w.host)
			}
			if h.ContentLength != w.cl || h.Chunked != w.chunked {
				t.Errorf("cl, chunked = %d, %v, want %d, %v", h.ContentLength, h.Chunked, w.cl, w.chunked)
			}
			if h.Close != w.close || h.Expect100 != w.expect100 || h.ExpectOther != w.expectOther || string(h.Upgrade) != w.upgrade {
				t.Errorf("close, expect100, expectOther, upgrade = %v, %v, %v, %q, want %v, %v, %v, %q",
					h.Close, h.Expect100, h.ExpectOther, h.Upgrade, w.close, w.expect100, w.expectOther, w.upgrade)
			}
			checkViews(t, in[:n], &h)
		})
	}
}

// checkViews asserts that everything the parser returns points into the
// head it parsed, rather than into a copy or past the head's end.
func checkViews(t *testing.T, head []byte, h *RequestHead) {
	t.Helper()
	views := [][]byte{h.Method, h.Target, h.Host, h.Upgrade}
	for _, f := range h.Fields {
		views = append(views, f.Name, f.Value)
	}
	for i, v := range views {
		if !sameMemory(v, head) {
			t.Fatalf("view %d %q is not inside the parsed head", i, v)
		}
	}
}

// TestParseRequestHeadPrefixes feeds every proper prefix of every valid
// request: a parser that needs more input must say only that.
func TestParseRequestHeadPrefixes(t *testing.T) {
	var h RequestHead
	for _, tc := range requestCases {
		if tc.want == nil {
			continue
		}
		in := []byte(tc.in)
		n, err := ParseRequestHead(in, tc.lim, &h)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for i := 0; i < n; i++ {
			m, err := ParseRequestHead(in[:i:i], tc.lim, &h)
			if err != ErrIncomplete || m != 0 {
				t.Fatalf("%s: prefix %q: n=%d err=%v, want ErrIncomplete", tc.name, in[:i], m, err)
			}
		}
	}
}

func TestRequestHeadGet(t *testing.T) {
	var h RequestHead
	in := []byte("GET / HTTP/1.1\r\nHost: a\r\nX-Dup: 1\r\nx-dup: 2\r\nAccept:\r\n\r\n")
	if _, err := ParseRequestHead(in, Limits{}, &h); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, want string
		null       bool
	}{
		{"host", "a", false}, {"X-DUP", "1", false}, {"accept", "", false}, {"missing", "", true}, {"x-du", "", true},
	} {
		got := h.Get(c.name)
		if string(got) != c.want || (got == nil) != c.null {
			t.Errorf("Get(%q) = %q (nil %v), want %q (nil %v)", c.name, got, got == nil, c.want, c.null)
		}
	}
}

func TestErrorType(t *testing.T) {
	var h RequestHead
	_, err := ParseRequestHead([]byte("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"), Limits{}, &h)
	var pe *Error
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Unwrap() != ErrConflictingFraming {
		t.Fatalf("err = %#v", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "h1: ") || !strings.Contains(msg, pe.Reason) {
		t.Errorf("Error() = %q", msg)
	}
	if errors.Is(err, ErrIncomplete) || errors.Is(ErrIncomplete, ErrBadRequest) {
		t.Error("sentinels must be distinct")
	}
}

func TestHelpers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"GET", true}, {"x-y_z.1~!#$%&'*+^`|", true}, {"", false}, {"a b", false}, {"a:", false}, {"a\x00", false}, {"é", false}, {"(a)", false},
	} {
		if got := IsToken([]byte(c.in)); got != c.want {
			t.Errorf("IsToken(%q) = %v", c.in, got)
		}
	}
	for _, c := range []struct {
		b, s string
		want bool
	}{
		{"Close", "close", true}, {"CLOSE", "close", true}, {"close", "close", true}, {"clos", "close", false},
		{"closf", "close", false}, {"[", "{", false}, {"@", "`", false}, {"1", "1", true}, {"", "", true},
		{"\xc5\xbf", "s", false}, {"K", "\xe2\x84\xaa", false},
	} {
		if got := EqualFold([]byte(c.b), c.s); got != c.want {
			t.Errorf("EqualFold(%q, %q) = %v", c.b, c.s, got)
		}
	}
	for _, c := range []struct {
		list, tok string
		want      bool
	}{
		{"close", "close", true}, {"keep-alive, Close", "close", true}, {" ,,\tclose\t,", "close", true},
		{"closed", "close", false}, {"clo se", "close", false}, {"", "close", false}, {"foo,bar", "bar", true}, {"foo,bar", "ba", false},
	} {
		if got := ContainsToken([]byte(c.list), c.tok); got != c.want {
			t.Errorf("ContainsToken(%q, %q) = %v", c.list, c.tok, got)
		}
		if got := ContainsToken(c.list, c.tok); got != c.want {
			t.Errorf("ContainsToken(string %q, %q) = %v", c.list, c.tok, got)
		}
	}
	for _, c := range []struct {
		lines []string
		want  bool
	}{
		{nil, false}, {[]string{""}, false}, {[]string{"keep-alive"}, false}, {[]string{"close"}, true},
		{[]string{"keep-alive", "Close"}, true}, {[]string{"keep-alive, CLOSE "}, true}, {[]string{"clo", "se"}, false},
	} {
		if got := ListsToken(c.lines, "close"); got != c.want {
			t.Errorf("ListsToken(%q, close) = %v", c.lines, got)
		}
	}
}

func TestParseRequestHeadAllocs(t *testing.T) {
	in := []byte(typicalGET)
	var h RequestHead
	if _, err := ParseRequestHead(in, Limits{}, &h); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := ParseRequestHead(in, Limits{}, &h); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ParseRequestHead allocates %v times per run, want 0", allocs)
	}
	// Rejections share pre-allocated errors, so a flood of bad requests
	// costs no garbage either.
	bad := []byte("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
	allocs = testing.AllocsPerRun(1000, func() {
		if _, err := ParseRequestHead(bad, Limits{}, &h); err == nil {
			t.Fatal("accepted")
		}
	})
	if allocs != 0 {
		t.Errorf("ParseRequestHead allocates %v times per rejection, want 0", allocs)
	}
}

func BenchmarkParseRequestHead(b *testing.B) {
	in := []byte(typicalGET)
	var h RequestHead
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := ParseRequestHead(in, Limits{}, &h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRequestHeadMinimal(b *testing.B) {
	in := []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	var h RequestHead
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := ParseRequestHead(in, Limits{}, &h); err != nil {
			b.Fatal(err)
		}
	}
}

// fuzzLimits gives the fuzzer tight limits too, so limit handling is
// explored without needing kilobyte inputs.
var fuzzLimits = []Limits{{}, {MaxHeaderBytes: 64, MaxURILength: 16, MaxHeaders: 3}}

func FuzzParseRequestHead(f *testing.F) {
	for _, tc := range requestCases {
		if len(tc.in) < 4096 {
			f.Add([]byte(tc.in), uint8(0))
			f.Add([]byte(tc.in), uint8(1))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, sel uint8) {
		lim := fuzzLimits[int(sel)%len(fuzzLimits)]
		maxHead, maxURI, maxFields := lim.resolve()
		in = in[:len(in):len(in)] // appends below must not write into in
		var h RequestHead
		n, err := ParseRequestHead(in, lim, &h)
		if err != nil {
			if n != 0 {
				t.Fatalf("n = %d with error %v", n, err)
			}
			if err == ErrIncomplete {
				if len(in) > maxHead {
					t.Fatalf("ErrIncomplete for %d bytes, over the %d limit", len(in), maxHead)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is neither ErrIncomplete nor *Error", err)
			}
			switch pe.Status {
			case 400, 414, 431, 501, 505:
			default:
				t.Fatalf("unexpected status %d", pe.Status)
			}
			// A protocol error is final: more input cannot repair it.
			more := append(in, "\r\n\r\n"...)
			if _, err2 := ParseRequestHead(more, lim, &h); err2 == nil || err2 == ErrIncomplete {
				t.Fatalf("error %v for %q but %v once extended", err, in, err2)
			}
			return
		}

		if n <= 0 || n > len(in) || n > maxHead {
			t.Fatalf("n = %d for %d bytes (limit %d)", n, len(in), maxHead)
		}
		if !bytes.HasSuffix(in[:n], []byte("\r\n\r\n")) {
			t.Fatalf("head %q does not end with an empty line", in[:n])
		}
		checkViews(t, in[:n], &h)
		if h.Major != 1 || (h.Minor != 0 && h.Minor != 1) {
			t.Fatalf("version %d.%d", h.Major, h.Minor)
		}
		if len(h.Target) > maxURI || len(h.Fields) > maxFields {
			t.Fatalf("limits exceeded: target %d, fields %d", len(h.Target), len(h.Fields))
		}
		if !IsToken(h.Method) || len(h.Target) == 0 {
			t.Fatalf("method %q target %q", h.Method, h.Target)
		}
		if h.Chunked && h.ContentLength != -1 {
			t.Fatalf("chunked with Content-Length %d", h.ContentLength)
		}
		for _, f := range h.Fields {
			if !IsToken(f.Name) || bytes.ContainsAny(f.Value, "\r\n\x00") ||
				bytes.HasPrefix(f.Value, []byte(" ")) || bytes.HasSuffix(f.Value, []byte(" ")) {
				t.Fatalf("bad field %q: %q", f.Name, f.Value)
			}
		}
		// Expect is one list across its fields (RFC 9110 §10.1.1).
		var want100, wantOther bool
		for _, f := range h.Fields {
			if !strings.EqualFold(string(f.Name), "expect") {
				continue
			}
			for _, m := range strings.Split(string(f.Value), ",") {
				switch m = strings.Trim(m, " \t"); {
				case m == "":
				case strings.EqualFold(m, "100-continue"):
					want100 = true
				default:
					wantOther = true
				}
			}
		}
		if h.Expect100 != (want100 && h.Minor == 1) || h.ExpectOther != wantOther {
			t.Fatalf("expect100, expectOther = %v, %v for the Expect fields of %q", h.Expect100, h.ExpectOther, in[:n])
		}
		want := snapshot(&h)

		// The head alone, and the head followed by anything, parse the
		// same way: the parser never looks past the empty line.
		for _, extra := range []string{"", "X", "\r\n", "GET / HTTP/1.1\r\n\r\n", "\x00\n"} {
			buf := append(in[:n:n], extra...)
			var h2 RequestHead
			n2, err2 := ParseRequestHead(buf, lim, &h2)
			if err2 != nil || n2 != n || snapshot(&h2) != want {
				t.Fatalf("with %q appended: n=%d err=%v, want n=%d\n%s\n%s", extra, n2, err2, n, snapshot(&h2), want)
			}
		}
		// Every proper prefix is merely incomplete.
		if n <= 2048 {
			for i := 0; i < n; i++ {
				if m, err := ParseRequestHead(in[:i:i], lim, &h); err != ErrIncomplete || m != 0 {
					t.Fatalf("prefix of %d bytes: n=%d err=%v", i, m, err)
				}
			}
		}
	})
}

// snapshot renders a parsed head as a comparable string.
func snapshot(h *RequestHead) string {
	var b strings.Builder
	b.WriteString(string(h.Method) + " " + string(h.Target) + " " + string(rune('0'+h.Minor)) + "\n")
	for _, f := range h.Fields {
		b.WriteString(string(f.Name) + ": " + string(f.Value) + "\n")
	}
	b.WriteString("host=" + string(h.Host) + " upgrade=" + string(h.Upgrade) + "\n")
	if h.Chunked {
		b.WriteString("chunked ")
	}
	if h.Close {
		b.WriteString("close ")
	}
	if h.Expect100 {
		b.WriteString("expect100 ")
	}
	if h.ExpectOther {
		b.WriteString("expectOther ")
	}
	b.WriteString(strconv.FormatInt(h.ContentLength, 10))
	return b.String()
}

// TestValidValue checks the word-at-a-time validator against the plain
// table at every length, offset and byte value, since a false positive
// there would let a CTL through to every header value.
func TestValidValue(t *testing.T) {
	ref := func(b []byte) bool {
		for _, c := range b {
			if !valueTable[c] {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 24; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				for _, fill := range []byte{'a', 0xff, 0x20, '\t', 0x80} {
					b := bytes.Repeat([]byte{fill}, n)
					b[pos] = byte(c)
					if got, want := validValue(b), ref(b); got != want {
						t.Fatalf("validValue(%q) = %v, want %v", b, got, want)
					}
				}
			}
		}
	}
}

// TestLineErrors checks which error a malformed request line or field
// line gets: the method's or name's token scan, which also finds the
// space or colon after it, must tell a line without that delimiter from
// a method or name that is not a token, as the messages do. Field lines
// are also checked against the rule written plainly, each byte value at
// each place of short lines.
func TestLineErrors(t *testing.T) {
	for _, c := range []struct {
		line string
		want *Error
	}{
		{"GET", errRequestLine},
		{"GET\t/\tHTTP/1.1", errRequestLine},
		{" / HTTP/1.1", errMethod},
		{"G@T / HTTP/1.1", errMethod},
		{"GET\t/ HTTP/1.1", errMethod},
		{"GET(/ HTTP/1.1", errMethod},
		{"GET / HTTP/1.1", nil},
		{"M-SEARCH / HTTP/1.1", nil},
	} {
		var h RequestHead
		if _, err := parseRequestLine([]byte(c.line), 8000, &h); err != c.want {
			t.Errorf("parseRequestLine(%q) = %v, want %v", c.line, err, c.want)
		}
	}
	ref := func(line []byte) *Error {
		if line[0] == ' ' || line[0] == '\t' {
			return errObsFold
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return errFieldNoColon
		}
		if !IsToken(line[:colon]) {
			return errFieldName
		}
		if !validValue(trimOWS(line[colon+1:])) {
			return errFieldValue
		}
		return nil
	}
	eachVariant([]string{"a", "ab:", "a:b", "a: b", ":b", "Host: x:1"}, nil, 0, func(b []byte) {
		if _, _, err := parseFieldLine(b); err != ref(b) {
			t.Fatalf("parseFieldLine(%q) = %v, want %v", b, err, ref(b))
		}
	})
}

// eachVariant calls check with each of bases with every byte value put in
// at every place, then with every string of up to n bytes over alphabet:
// how a rewritten check is compared with the rule it implements.
func eachVariant(bases []string, alphabet []byte, n int, check func([]byte)) {
	for _, base := range bases {
		for pos := 0; pos <= len(base); pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(base[:pos] + "x" + base[pos:])
				b[pos] = byte(c)
				check(b)
			}
		}
	}
	var gen func(b []byte, n int)
	gen = func(b []byte, n int) {
		check(b)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(append(b, c), n-1)
		}
	}
	if len(alphabet) > 0 {
		gen(nil, n)
	}
}

// TestValidTarget checks the table-driven validTarget against the rule
// it implements, written plainly: every byte visible ASCII but '#', every
// '%' before the first '?' followed by two hex digits. Each byte value is
// tried at each place of short targets around a path, an escape and a
// query, and every short string over the bytes that matter.
func TestValidTarget(t *testing.T) {
	ref := func(b []byte) bool {
		inQuery := false
		for i, c := range b {
			if c <= ' ' || c >= 0x7f || c == '#' {
				return false
			}
			switch {
			case c == '?':
				inQuery = true
			case c == '%' && !inQuery:
				if i+2 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) {
					return false
				}
			}
		}
		return true
	}
	check := func(b []byte) {
		t.Helper()
		if got, want := validTarget(b), ref(b); got != want {
			t.Fatalf("validTarget(%q) = %v, want %v", b, got, want)
		}
	}
	eachVariant([]string{"/", "/ab", "/%41b", "/a?b", "/a?%zz", "?", "%", "/%4", "/a%2"},
		[]byte{'/', 'a', 'F', 'g', '0', '%', '?', '#', ' ', 0x7f, 0x80}, 5, check)
}

func isHex(c byte) bool { _, ok := unhex(c); return ok }

func TestValidIPv6(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"::1", true}, {"::", true}, {"1::", true}, {"1:2:3:4:5:6:7:8", true}, {"2001:db8::1", true},
		{"::ffff:192.0.2.1", true}, {"1:2:3:4:5:6:1.2.3.4", true}, {"fe80::1:2:3:4:5:6", true}, {"ABCD:ef01::", true},
		{"", false}, {"0", false}, {":", false}, {":::", false}, {"1:::2", false}, {"1::2::3", false},
		{"1:2:3:4:5:6:7", false}, {"1:2:3:4:5:6:7:8:9", false}, {"1::2:3:4:5:6:7:8", false}, {":1::", false},
		{"1:", false}, {"12345::", false}, {"g::", false}, {"::1.2.3", false}, {"::1.2.3.256", false},
		{"::01.2.3.4", false}, {"1:2:3:4:5:6:7:1.2.3.4", false}, {"::1.2.3.4:5", false}, {"fe80::1%25eth0", false},
		{"v1.x", false}, {"1.2.3.4", false},
	} {
		if got := validIPv6([]byte(c.in)); got != c.want {
			t.Errorf("validIPv6(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestValidHost checks validHost's reg-name branch against the rule it
// implements, written plainly: the host is what comes before the first
// ':', all of it reg-name bytes, and the port after it at most five
// digits (a CONNECT's one to 65535). Each byte value is tried at each
// place of short hosts, and every short string over the bytes that
// matter, with and without needHost and needPort.
func TestValidHost(t *testing.T) {
	ref := func(b []byte, needHost, needPort bool) bool {
		host, port, _ := bytes.Cut(b, []byte(":"))
		if needHost && len(host) == 0 || needPort && len(port) == 0 || len(port) > 5 {
			return false
		}
		for _, c := range host {
			if !regNameTable[c] {
				return false
			}
		}
		n := 0
		for _, c := range port {
			if !isDigit(c) {
				return false
			}
			n = n*10 + int(c-'0')
		}
		return !needPort || n >= 1 && n <= 65535
	}
	check := func(b []byte) {
		t.Helper()
		if len(b) > 0 && b[0] == '[' {
			return // an IP literal: TestValidIPv6
		}
		for _, need := range [][2]bool{{false, false}, {true, false}, {true, true}, {false, true}} {
			if got, want := validHost(b, need[0], need[1]), ref(b, need[0], need[1]); got != want {
				t.Fatalf("validHost(%q, %v, %v) = %v, want %v", b, need[0], need[1], got, want)
			}
		}
	}
	eachVariant([]string{"", "a", "ab.c", "a:80", "a:", ":1", "127.0.0.1:8080"},
		[]byte{'a', '0', '9', ':', '.', '%', '@', '/', ' ', 0x80}, 5, check)
}

// OnlyEmptyLines tells the empty lines ParseRequestHead skips before a
// request-line, the last maybe cut after its CR, from a head begun; on
// each it agrees with the parser, which wants more bytes for the first
// (below its bound) and not for the second unless it is cut short.
func TestOnlyEmptyLines(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"", true},
		{"\r", true},
		{"\r\n", true},
		{"\r\n\r", true},
		{"\r\n\r\n", true},
		{"\n", false},
		{"\r\r", false},
		{"\r\nG", false},
		{"G", false},
		{"\r\n \r\n", false},
		{"GET / HTTP/1.1\r\n", false},
	} {
		if got := OnlyEmptyLines([]byte(tt.in)); got != tt.want {
			t.Errorf("OnlyEmptyLines(%q) = %v, want %v", tt.in, got, tt.want)
		}
		var h RequestHead
		if _, err := ParseRequestHead([]byte(tt.in), Limits{}, &h); tt.want && err != ErrIncomplete {
			t.Errorf("ParseRequestHead(%q): %v, want ErrIncomplete", tt.in, err)
		}
	}
}
