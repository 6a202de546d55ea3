package connector_test

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the hostile-input table in docs/security.md")

// hostileInput is one request an attacker (or a broken proxy) might send.
// want is the status it must get; keep says the connection stays usable
// (the input is legal and framed one way only) instead of closing.
type hostileInput struct {
	group string // the heading in docs/security.md
	name  string
	raw   string
	want  int
	keep  bool
}

// hostileInputs is the table docs/security.md shows. Every status is the
// server's default configuration's.
var hostileInputs = []hostileInput{
	{"Framing and smuggling", "Content-Length and Transfer-Encoding", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, false},
	{"Framing and smuggling", "Transfer-Encoding and Content-Length", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400, false},
	{"Framing and smuggling", "two differing Content-Lengths", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, false},
	{"Framing and smuggling", "differing Content-Length list", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd", 400, false},
	{"Framing and smuggling", "one Content-Length spelled two ways", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 04\r\n\r\nabcd", 400, false},
	{"Framing and smuggling", "signed Content-Length", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400, false},
	{"Framing and smuggling", "hexadecimal Content-Length", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc", 400, false},
	{"Framing and smuggling", "empty Content-Length", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\nabc", 400, false},
	{"Framing and smuggling", "Content-Length list of one value", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", 200, true},
	{"Framing and smuggling", "Content-Length repeated with one value", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 200, true},
	{"Framing and smuggling", "Content-Length with leading zeros", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 003\r\n\r\nabc", 200, true},
	{"Framing and smuggling", "Content-Length overflowing int64", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", 400, false},
	{"Framing and smuggling", "Content-Length over MaxBodyBytes", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 67108865\r\n\r\n", 413, false},
	{"Framing and smuggling", "Transfer-Encoding other than chunked", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400, false},
	{"Framing and smuggling", "chunked not the final coding", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400, false},
	{"Framing and smuggling", "a coding not implemented before chunked", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, false},
	{"Framing and smuggling", "identity coding", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc", 400, false},
	{"Framing and smuggling", "chunked twice", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400, false},
	{"Framing and smuggling", "Transfer-Encoding repeated", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n", 400, false},
	{"Framing and smuggling", "look-alike coding", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400, false},
	{"Framing and smuggling", "chunked spelled in capitals", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 200, true},
	{"Framing and smuggling", "Transfer-Encoding in HTTP/1.0", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, false},
	{"Framing and smuggling", "space before the colon", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400, false},
	{"Framing and smuggling", "obsolete line folding", "GET /hello HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400, false},
	{"Framing and smuggling", "folded Transfer-Encoding", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400, false},
	{"Framing and smuggling", "a body on GET is read, not parsed as a request", "GET /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 35\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", 200, true},
	{"Framing and smuggling", "an unread chunked body is read, not parsed as a request", "POST /hello HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n23\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n", 200, true},
	{"Framing and smuggling", "a body never invited (100-continue) closes", "POST /hello HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 35\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", 200, false},
	{"Framing and smuggling", "a chunked body never invited (100-continue) closes", "POST /hello HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n23\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n", 200, false},
	{"Framing and smuggling", "bytes after the last chunk are the next request", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 200, true},

	{"Chunked bodies", "chunk size not hexadecimal", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "chunk size overflowing int64", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nabc\r\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "chunk size of more than 16 digits, leading zeros", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000003\r\nabc\r\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "signed chunk size", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "space inside the chunk size", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 2\r\nabc\r\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "NUL in a chunk extension", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\x00\r\nabc\r\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "chunk extension without a name", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;=x\r\nabc\r\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "bare LF after the chunk size", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "chunk longer than its size", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "bare LF after chunk data", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "bare LF after the last chunk", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\n\r\n", 400, false},
	{"Chunked bodies", "bare LF ending the trailer section", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\n", 400, false},
	{"Chunked bodies", "chunk extension of 3000 bytes, under the 4 KiB line limit", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a=" + strings.Repeat("b", 3000) + "\r\nabc\r\n0\r\n\r\n", 200, true},
	{"Chunked bodies", "framing fields in the trailer are not honoured", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\nHost: b\r\n\r\n", 200, true},
	{"Chunked bodies", "trailer field without a colon", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\ngarbage\r\n\r\n", 400, false},
	{"Chunked bodies", "obsolete line folding in the trailer", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: a\r\n b\r\n\r\n", 400, false},
	{"Chunked bodies", "chunk size line over 4 KiB", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;" + strings.Repeat("a", 5000) + "\r\nabc\r\n0\r\n\r\n", 400, false},
	{"Chunked bodies", "trailer section over MaxHeaderBytes (16 KiB)", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: " + strings.Repeat("a", 17000) + "\r\n\r\n", 431, false},
	{"Chunked bodies", "more than MaxHeaders (100) trailer fields", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n" + strings.Repeat("X-T: a\r\n", 101) + "\r\n", 431, false},

	{"Request line", "bare LF ending the request line", "GET /hello HTTP/1.1\nHost: a\r\n\r\n", 400, false},
	{"Request line", "bare CR", "GET /hello\r HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "NUL in the target", "GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "control byte in the target", "GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "fragment in the target", "GET /hello#x HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "leading empty line", "\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n", 200, true},
	{"Request line", "tab between elements", "GET\t/hello HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "space after the version", "GET /hello HTTP/1.1 \r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "two spaces between elements", "GET  /hello HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "method that is not a token", "G(T /hello HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "target over MaxURILength (8 KiB)", "GET /" + strings.Repeat("a", 8200) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414, false},
	{"Request line", "HTTP/1.2, read as HTTP/1.1", "GET /hello HTTP/1.2\r\nHost: a\r\n\r\n", 200, true},
	{"Request line", "HTTP/2.0 in an HTTP/1 request line", "GET /hello HTTP/2.0\r\nHost: a\r\n\r\n", 505, false},
	{"Request line", "HTTP/0.9 request without a version", "GET /hello\r\n\r\n", 400, false},
	{"Request line", "malformed version", "GET /hello HTTP/1.1x\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "asterisk-form with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "asterisk-form with OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 200, true},
	{"Request line", "CONNECT without a port", "CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "CONNECT with an origin-form target", "CONNECT /hello HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "CONNECT, not served", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 404, true},
	{"Request line", "absolute-form with a scheme other than http(s)", "GET ftp://a/hello HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "absolute-form with userinfo", "GET http://u@a/hello HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Request line", "absolute-form: its authority wins over Host", "GET http://a.example/host HTTP/1.1\r\nHost: b.example\r\n\r\n", 200, true},

	{"Header fields", "space inside a field name", "GET /hello HTTP/1.1\r\nHost: a\r\nX Y: z\r\n\r\n", 400, false},
	{"Header fields", "tab before the colon", "GET /hello HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\n\r\n", 400, false},
	{"Header fields", "field name that is not a token", "GET /hello HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", 400, false},
	{"Header fields", "empty field name", "GET /hello HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400, false},
	{"Header fields", "whitespace before the first field", "GET /hello HTTP/1.1\r\n Host: a\r\n\r\n", 400, false},
	{"Header fields", "field without a colon", "GET /hello HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", 400, false},
	{"Header fields", "NUL in a field value", "GET /hello HTTP/1.1\r\nHost: a\r\nX-A: a\x00b\r\n\r\n", 400, false},
	{"Header fields", "control byte in a field value", "GET /hello HTTP/1.1\r\nHost: a\r\nX-A: a\x01b\r\n\r\n", 400, false},
	{"Header fields", "DEL in a field value", "GET /hello HTTP/1.1\r\nHost: a\r\nX-A: a\x7fb\r\n\r\n", 400, false},
	{"Header fields", "bare LF ending a field", "GET /hello HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", 400, false},
	{"Header fields", "bare CR inside a field", "GET /hello HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n", 400, false},
	{"Header fields", "head over MaxHeaderBytes (16 KiB)", "GET /hello HTTP/1.1\r\nHost: a\r\nX-A: " + strings.Repeat("a", 17000) + "\r\n\r\n", 431, false},
	{"Header fields", "more than MaxHeaders (100) fields", "GET /hello HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X-A: a\r\n", 101) + "\r\n", 431, false},
	{"Header fields", "Expect other than 100-continue", "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 3\r\n\r\nabc", 417, false},
	{"Header fields", "Expect other than 100-continue in HTTP/1.0", "POST /echo HTTP/1.0\r\nExpect: teapot\r\nContent-Length: 3\r\n\r\nabc", 417, false},
	{"Header fields", "Expect listing 100-continue and another", "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, teapot\r\nContent-Length: 3\r\n\r\nabc", 417, false},
	{"Header fields", "Expect listing another and 100-continue", "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: teapot,100-Continue\r\nContent-Length: 3\r\n\r\nabc", 417, false},
	{"Header fields", "Expect: 100-continue, then Expect: another", "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: teapot\r\nContent-Length: 3\r\n\r\nabc", 417, false},
	{"Header fields", "Expect: another, then Expect: 100-continue", "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", 417, false},
	{"Header fields", "Expect listing 100-continue among empty members", "GET /hello HTTP/1.1\r\nHost: a\r\nExpect: , 100-Continue\t,,\r\n\r\n", 200, true},
	{"Header fields", "Expect of empty members only", "GET /hello HTTP/1.1\r\nHost: a\r\nExpect: , ,\r\n\r\n", 200, true},

	{"Host", "no Host in HTTP/1.1", "GET /hello HTTP/1.1\r\n\r\n", 400, false},
	{"Host", "no Host with an absolute-form target", "GET http://a/hello HTTP/1.1\r\n\r\n", 400, false},
	{"Host", "empty Host", "GET /hello HTTP/1.1\r\nHost: \r\n\r\n", 200, true},
	{"Host", "two Host fields", "GET /hello HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, false},
	{"Host", "CR in Host", "GET /hello HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, false},
	{"Host", "space in Host", "GET /hello HTTP/1.1\r\nHost: a b\r\n\r\n", 400, false},
	{"Host", "path in Host", "GET /hello HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, false},
	{"Host", "escaped slash in Host", "GET /hello HTTP/1.1\r\nHost: a%2Fb\r\n\r\n", 400, false},
	{"Host", "escaped non-ASCII byte in an absolute-form target", "GET http://a%80/hello HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
	{"Host", "userinfo in Host", "GET /hello HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, false},
	{"Host", "non-numeric port", "GET /hello HTTP/1.1\r\nHost: a:x\r\n\r\n", 400, false},
	{"Host", "unclosed IPv6 literal", "GET /hello HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, false},
}

// Every hostile input gets its status; a rejected one closes the connection
// (nothing after it can be trusted to be framed as the client meant), and
// an accepted one is framed exactly one way, so the connection carries on
// with the next request. The server keeps serving other connections
// throughout: each case is followed by a good request.
func TestHostileInputs(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		addr, _ := serve(t, cfg)
		for _, tt := range hostileInputs {
			t.Run(tt.name, func(t *testing.T) {
				raw, responses := tt.raw, 1
				if tt.keep {
					// A request after it must be answered as itself.
					raw += "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
					responses = 2
				}
				resps, bodies, closed := roundTrip(t, addr, raw, responses)
				if resps[0].StatusCode != tt.want {
					t.Fatalf("status %d (%q), want %d", resps[0].StatusCode, bodies[0], tt.want)
				}
				if strings.Contains(tt.raw, "/host ") { // answers the request's host
					if bodies[0] != "a.example" {
						t.Errorf("the request's host is %q, want the target's a.example", bodies[0])
					}
				}
				if !tt.keep && !resps[0].Close {
					t.Errorf("a rejected request's answer lacks Connection: close")
				}
				if tt.keep && (resps[1].StatusCode != 200 || bodies[1] != "hello") {
					t.Errorf("the request after it got %d %q, want 200 hello", resps[1].StatusCode, bodies[1])
				}
				if !closed {
					t.Errorf("connection still open after the last answer")
				}
				if good, bodies, _ := roundTrip(t, addr, "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 1); good[0].StatusCode != 200 || bodies[0] != "hello" {
					t.Errorf("a good request afterwards got %d %q", good[0].StatusCode, bodies[0])
				}
			})
		}
	})
}

// docs/security.md shows hostileInputs as they are: the table between its
// markers is generated from it (go test ./connector -run
// TestHostileInputTable -update-docs rewrites it).
func TestHostileInputTable(t *testing.T) {
	wharftest.DocSection(t, "../docs/security.md", "hostile-inputs", hostileTable(), *updateDocs)
}

// hostileTable renders hostileInputs as Markdown, one table per group.
func hostileTable() string {
	var b strings.Builder
	group := ""
	for _, tt := range hostileInputs {
		if tt.group != group {
			group = tt.group
			fmt.Fprintf(&b, "\n**%s**\n\n| Input | Example (abridged) | Answer |\n|---|---|---|\n", group)
		}
		answer := strconv.Itoa(tt.want) + ", connection closed"
		if tt.keep {
			answer = strconv.Itoa(tt.want) + ", connection kept"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", tt.name, abridge(tt.raw), answer)
	}
	b.WriteString("\n")
	return b.String()
}

// abridge quotes raw for a table cell: escapes shown, long runs cut.
func abridge(raw string) string {
	q := strconv.Quote(raw)
	q = q[1 : len(q)-1]
	for _, long := range []struct{ run, label string }{
		{strings.Repeat("a", 17000), "…17000 × a…"}, // longest first: the shorter runs are inside it
		{strings.Repeat("a", 8200), "…8200 × a…"},
		{strings.Repeat("a", 5000), "…5000 × a…"},
		{strings.Repeat(`X-A: a\r\n`, 101), "…101 × X-A: a\\r\\n…"},
	} {
		q = strings.Replace(q, long.run, long.label, 1)
	}
	q = strings.ReplaceAll(q, "|", `\|`)
	if r := []rune(q); len(r) > 100 {
		q = string(r[:99]) + "…"
	}
	return q
}

// A client that leaves in the middle of a body, chunked or not, is a
// client error: the handler's read fails with a 400 that still says
// io.ErrUnexpectedEOF, and nothing is logged as a server failure.
func TestBodyCutShort(t *testing.T) {
	for _, head := range []string{
		"POST /read HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc",
		"POST /read HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n64\r\nabc",
	} {
		eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
			rec, logger := wharftest.NewLogRecorder()
			c := container.New(container.WithConnector(cfg), container.WithLogger(logger))
			readErr := make(chan error, 1)
			c.HandleFunc("/read", func(w api.Response, r *api.Request) error {
				_, err := io.ReadAll(r.Body())
				readErr <- err
				return err
			})
			nc, err := net.Dial("tcp", listen(t, c))
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(nc, head)
			time.Sleep(20 * time.Millisecond) // the handler is reading
			nc.Close()
			err = <-readErr
			if api.StatusOf(err) != http.StatusBadRequest || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("read error %v (status %d), want a 400 wrapping io.ErrUnexpectedEOF", err, api.StatusOf(err))
			}
			wharftest.WaitFor(t, "the request to end", func() bool { return c.Stats().Active == 0 })
			if recs := rec.Records(); len(recs) != 0 {
				t.Fatalf("logged %+v", recs)
			}
		})
	}
}

// The trailer section is bounded by the head's configured limits, not
// fixed ones: a 12 KiB trailer passes under MaxHeaderBytes 32 KiB (it
// would not under the decoder's own 8 KiB default), and a sixth field
// breaks MaxHeaders 5 with a 431.
func TestTrailerLimitsFollowConfig(t *testing.T) {
	chunked := func(trailer string) string {
		return "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n" + trailer + "\r\n"
	}
	tests := []struct {
		name string
		cfg  connector.Config
		raw  string
		want int
	}{
		{"12 KiB under MaxHeaderBytes 32 KiB", connector.Config{MaxHeaderBytes: 32 << 10}, chunked("Check: " + strings.Repeat("a", 12<<10) + "\r\n"), 200},
		{"20 KiB over MaxHeaderBytes 16 KiB", connector.Config{MaxHeaderBytes: 16 << 10}, chunked("Check: " + strings.Repeat("a", 20<<10) + "\r\n"), 431},
		{"5 fields under MaxHeaders 5", connector.Config{MaxHeaders: 5}, chunked(strings.Repeat("Check: a\r\n", 5)), 200},
		{"6 fields over MaxHeaders 5", connector.Config{MaxHeaders: 5}, chunked(strings.Repeat("Check: a\r\n", 6)), 431},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachConnector(t, tt.cfg, func(t *testing.T, cfg connector.Config) {
				addr, _ := serve(t, cfg)
				resps, bodies, _ := roundTrip(t, addr, tt.raw, 1)
				if resps[0].StatusCode != tt.want {
					t.Fatalf("status %d (%q), want %d", resps[0].StatusCode, bodies[0], tt.want)
				}
				if tt.want == 200 && (bodies[0] != "abc" || resps[0].Header.Get("X-Trailer-Check") == "") {
					t.Errorf("body %q, trailer seen %q", bodies[0], resps[0].Header.Get("X-Trailer-Check"))
				}
			})
		})
	}
}

// Every row of hostileInputs seeds the head parser's fuzz targets (the
// files hostile-NAME in internal/h1's testdata), so that fuzzing starts
// from each hostile shape and the seeds cannot fall out of step with the
// table; -update-docs writes the ones missing or changed.
func TestHostileInputsSeedFuzzing(t *testing.T) {
	for target, args := range map[string]string{"FuzzParseRequestHead": "uint8(0)\n", "FuzzParseRequestHeadNetHTTP": ""} {
		dir := filepath.Join("..", "internal", "h1", "testdata", "fuzz", target)
		for _, tt := range hostileInputs {
			path := filepath.Join(dir, "hostile-"+seedName(tt.name))
			want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n%s", tt.raw, args)
			got, err := os.ReadFile(path)
			if err == nil && string(got) == want {
				continue
			}
			if *updateDocs {
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("%s: seed %s missing or out of date (%v); run the test with -update-docs", target, path, err)
		}
	}
}

// seedName is a row's name as a file name: lower case, each run of other
// characters than letters and digits a hyphen.
func seedName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}
