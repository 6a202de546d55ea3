package http2_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the malformed-request table in docs/protocols.md")

// h2Malformed is one request (or header block) a broken or hostile
// client might send over HTTP/2, and the answer it gets. Unless send is
// set, the request is a GET of /hello changed by fields (see
// requestFields), on stream 1, with END_STREAM, or followed by body.
type h2Malformed struct {
	group  string // the heading in docs/protocols.md
	name   string
	fields []string // name-value pairs
	whole  bool     // fields are the whole request, not changes to the GET
	body   string   // DATA after the HEADERS (with END_STREAM)
	open   bool     // neither END_STREAM nor DATA: the body never comes
	send   func(t *testing.T, c *h2Client)
	shown  string // the Example cell of a send
	// want is the answer: a status, "RST_STREAM code" or "GOAWAY code".
	// After the first two the connection must serve another request;
	// after a GOAWAY it must close.
	want string
	// then, if set, are the frames that follow a status before the
	// connection closes ("RST_STREAM code", "GOAWAY code"), in any order:
	// the GOAWAY goes ahead of what is queued.
	then []string
}

// get is the request every fields row changes.
var h2Get = []string{":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/hello"}

var (
	h2Long8K  = "/" + strings.Repeat("a", 8200)
	h2Long20K = strings.Repeat("~", 20000)
	h2Path20K = "/" + strings.Repeat("a", 20000)
	h2Big8K   = strings.Repeat("b", 8000)
)

// h2MalformedRequests is the table docs/protocols.md shows. Every answer
// is the server's default configuration's, but for the shorter
// ReadHeaderTimeout the test gives it.
var h2MalformedRequests = []h2Malformed{
	{group: "Pseudo-header fields", name: "no `:method`", fields: []string{"-:method", ""}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "no `:scheme`", fields: []string{"-:scheme", ""}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "no `:path`", fields: []string{"-:path", ""}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "empty `:path`", fields: []string{":path", ""}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "unknown pseudo-header field", fields: []string{":foo", "x"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "response pseudo-header field", fields: []string{":status", "200"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "`:path` twice", fields: []string{":path", "/hello", ":path", "/hello"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "pseudo-header field after a regular one", whole: true,
		fields: []string{":method", "GET", ":scheme", "http", ":path", "/hello", "x-a", "b", ":authority", "x"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "method that is not a token", fields: []string{":method", "G(T"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "`:path` not starting with `/`", fields: []string{":path", "hello"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "asterisk `:path` with GET", fields: []string{":path", "*"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "space in `:path`", fields: []string{":path", "/a b"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "fragment in `:path`", fields: []string{":path", "/hello#f"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "bad percent-encoding in `:path`", fields: []string{":path", "/%zz"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "control byte in `:path`", fields: []string{":path", "/a\x01b"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "escaped NUL in `:path` (the container's answer, on every protocol)", fields: []string{":path", "/a%00b"}, want: "400"},
	{group: "Pseudo-header fields", name: "escaped control byte in `:path` (the container's answer unless `WithAmbiguousPaths`)", fields: []string{":path", "/a%0Ab"}, want: "400"},
	{group: "Pseudo-header fields", name: "escaped control byte in the query of `:path` (accepted)", fields: []string{":path", "/hello?a=%00%0A"}, want: "200"},
	{group: "Pseudo-header fields", name: "`:authority` that is not a host", fields: []string{":authority", "a/b"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "`:authority` with an escaped slash", fields: []string{":authority", "a%2Fb"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "`:authority` with an escaped non-ASCII byte", fields: []string{":authority", "a%80"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "CONNECT with `:scheme` and `:path`", fields: []string{":method", "CONNECT"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "CONNECT without a port", whole: true, fields: []string{":method", "CONNECT", ":authority", "x"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "CONNECT to port 0", whole: true, fields: []string{":method", "CONNECT", ":authority", "x:0"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Pseudo-header fields", name: "CONNECT with a host and a port (accepted)", whole: true, fields: []string{":method", "CONNECT", ":authority", "x:443"}, want: "404"},

	{group: "Header fields", name: "upper-case field name", fields: []string{"X-A", "b"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "space in a field name", fields: []string{"x a", "b"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "NUL in a field value", fields: []string{"x-a", "a\x00b"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "CR LF in a field value", fields: []string{"x-a", "a\r\nb"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "connection-specific field", fields: []string{"connection", "close"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "`transfer-encoding`", fields: []string{"transfer-encoding", "chunked"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "`te` other than `trailers`", fields: []string{"te", "gzip"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "`host` that differs from `:authority`", fields: []string{"host", "y"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "two `host` fields", fields: []string{"-:authority", "", "host", "x", "host", "x"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "`content-length` that is not a number", fields: []string{"content-length", "x"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "two differing `content-length` fields", fields: []string{":method", "POST", ":path", "/echo", "content-length", "1", "content-length", "2"}, body: "a", want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "one `content-length` spelled two ways", fields: []string{":method", "POST", ":path", "/echo", "content-length", "1", "content-length", "01"}, body: "a", want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "white space around a field value (taken off, as HTTP/1.1's parser takes it off)", fields: []string{"x-a", " a\t"}, want: "200"},
	{group: "Header fields", name: "`content-length` with a space before its digits", fields: []string{":method", "POST", ":path", "/echo", "content-length", " 1"}, body: "a", want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "`content-length` with a tab after its digits", fields: []string{":method", "POST", ":path", "/echo", "content-length", "1\t"}, body: "a", want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "signed `content-length`", fields: []string{":method", "POST", ":path", "/echo", "content-length", "+1"}, body: "a", want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "differing `content-length` list", fields: []string{":method", "POST", ":path", "/echo", "content-length", "1, 2"}, body: "a", want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "three `content-length` fields, the third differing", fields: []string{":method", "POST", ":path", "/echo", "content-length", "1", "content-length", "1", "content-length", "2"}, body: "a", want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Header fields", name: "one `content-length` repeated, as a list and as a field (accepted)", fields: []string{":method", "POST", ":path", "/echo", "content-length", "1, 1", "content-length", "1"}, body: "a", want: "200"},

	{group: "Bodies", name: "`content-length` and END_STREAM on the HEADERS", fields: []string{"content-length", "3"}, want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Bodies", name: "DATA longer than `content-length`", fields: []string{":method", "POST", ":path", "/echo", "content-length", "2"}, body: "abc", want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Bodies", name: "DATA shorter than `content-length`", fields: []string{":method", "POST", ":path", "/echo", "content-length", "5"}, body: "abc", want: "RST_STREAM PROTOCOL_ERROR"},
	{group: "Bodies", name: "trailers with a pseudo-header field", shown: "POST /echo, DATA \"a\", trailers `:path: /x`", want: "RST_STREAM PROTOCOL_ERROR",
		send: func(t *testing.T, c *h2Client) {
			c.writeBlock(t, 1, c.block(requestFields(h2Get, []string{":method", "POST", ":path", "/echo"}, false)...), false)
			c.fr.WriteData(1, false, []byte("a"))
			c.writeBlock(t, 1, c.block(":path", "/x"), true)
		}},
	{group: "Bodies", name: "body slower than `MinRequestDataRate` (240 B/s) once `DataRateGrace` is spent, the connection's only stream", shown: "POST /echo, DATA \"x\", then nothing",
		want: "408", then: []string{"RST_STREAM NO_ERROR", "GOAWAY ENHANCE_YOUR_CALM"},
		send: func(t *testing.T, c *h2Client) {
			c.writeBlock(t, 1, c.block(requestFields(h2Get, []string{":method", "POST", ":path", "/echo"}, false)...), false)
			c.fr.WriteData(1, false, []byte("x"))
		}},
	{group: "Bodies", name: "`content-length` over `MaxBodyBytes` (64 MiB)", fields: []string{":method", "POST", ":path", "/echo", "content-length", "67108865"}, open: true, want: "413"},

	{group: "Limits", name: "`:path` over `MaxURILength` (8 KiB)", fields: []string{":path", h2Long8K}, want: "414"},
	{group: "Limits", name: "more than `MaxHeaders` (100) fields", fields: repeatPair("x-a", "a", 101), want: "431"},
	{group: "Limits", name: "header list over `MaxHeaderBytes` + 32 × `MaxHeaders` (19,584 bytes)", fields: []string{"x-a", h2Big8K, "x-b", h2Big8K, "x-c", h2Big8K}, want: "431"},
	{group: "Limits", name: "one field longer than that", fields: []string{"x-a", h2Long20K}, want: "431"},
	{group: "Limits", name: "`:path` longer than that", fields: []string{":path", h2Path20K}, want: "431"},

	{group: "Connection errors", name: "header block that does not decode", shown: "HEADERS whose block names HPACK index 254", want: "GOAWAY COMPRESSION_ERROR",
		send: func(t *testing.T, c *h2Client) {
			c.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0xff, 0x7f}, EndStream: true, EndHeaders: true})
		}},
	{group: "Connection errors", name: "header block over 4 × the header list limit", shown: "HEADERS and CONTINUATION, 10 fields of 8,192 bytes", want: "GOAWAY ENHANCE_YOUR_CALM",
		send: func(t *testing.T, c *h2Client) {
			var fields []string
			for i := range 10 {
				fields = append(fields, fmt.Sprintf("x-%d", i), strings.Repeat("~", 8<<10))
			}
			c.writeBlock(t, 1, c.block(requestFields(h2Get, fields, false)...), true)
		}},
	{group: "Connection errors", name: "header block unfinished after `ReadHeaderTimeout`", shown: "HEADERS without END_HEADERS, no CONTINUATION", want: "GOAWAY ENHANCE_YOUR_CALM",
		send: func(t *testing.T, c *h2Client) {
			block := c.block(h2Get...)
			c.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:2], EndStream: true})
		}},
	{group: "Connection errors", name: "frame between HEADERS and its CONTINUATION", shown: "HEADERS without END_HEADERS, PING", want: "GOAWAY PROTOCOL_ERROR",
		send: func(t *testing.T, c *h2Client) {
			block := c.block(h2Get...)
			c.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:2], EndStream: true})
			c.fr.WritePing(false, [8]byte{})
		}},
	{group: "Connection errors", name: "HEADERS padded beyond its end", shown: "HEADERS of 5 bytes, pad length 200", want: "GOAWAY PROTOCOL_ERROR",
		send: func(t *testing.T, c *h2Client) {
			c.fr.WriteRawFrame(xhttp2.FrameHeaders, xhttp2.FlagHeadersPadded|xhttp2.FlagHeadersEndHeaders|xhttp2.FlagHeadersEndStream, 1, []byte{200, 0x82, 0x86, 0x84, 0x41})
		}},
	{group: "Connection errors", name: "HEADERS on an even stream id", shown: "GET /hello on stream 2", want: "GOAWAY PROTOCOL_ERROR",
		send: func(t *testing.T, c *h2Client) { c.writeBlock(t, 2, c.block(h2Get...), true) }},
	// A stream id the client passed over is closed, never opened: a
	// HEADERS frame on it opens a stream out of order (RFC 9113 §5.1.1),
	// which is not the same error as one on a stream that ended.
	{group: "Connection errors", name: "HEADERS on a stream id lower than one already opened", shown: "GET /hello on stream 3, then on stream 1", want: "GOAWAY PROTOCOL_ERROR",
		send: func(t *testing.T, c *h2Client) {
			c.writeBlock(t, 3, c.block(h2Get...), true)
			c.writeBlock(t, 1, c.block(h2Get...), true)
		}},
	{group: "Connection errors", name: "HEADERS on a stream id passed over between two opened", shown: "GET /hello on streams 3 and 7, then on stream 5", want: "GOAWAY PROTOCOL_ERROR",
		send: func(t *testing.T, c *h2Client) {
			c.writeBlock(t, 3, c.block(h2Get...), true)
			c.writeBlock(t, 7, c.block(h2Get...), true)
			c.writeBlock(t, 5, c.block(h2Get...), true)
		}},
	{group: "Connection errors", name: "HEADERS on a stream already closed", shown: "GET /hello on stream 3, answered, then on stream 3 again", want: "GOAWAY STREAM_CLOSED",
		send: func(t *testing.T, c *h2Client) {
			c.writeBlock(t, 3, c.block(h2Get...), true)
			c.readResponses(t, 3)
			c.writeBlock(t, 3, c.block(h2Get...), true)
		}},
	{group: "Connection errors", name: "frame over 16 KiB", shown: "HEADERS of 16,385 bytes", want: "GOAWAY FRAME_SIZE_ERROR",
		send: func(t *testing.T, c *h2Client) {
			c.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: make([]byte, 16<<10+1), EndStream: true, EndHeaders: true})
		}},
}

// repeatPair is n times the field name: value.
func repeatPair(name, value string, n int) []string {
	var fields []string
	for range n {
		fields = append(fields, name, value)
	}
	return fields
}

// requestFields applies changes to base: a pseudo-header field's name
// replaces its first value, "-name" removes it, and any other field is
// added. With whole, changes are the request.
func requestFields(base, changes []string, whole bool) []string {
	if whole {
		return changes
	}
	out := append([]string(nil), base...)
	replaced := map[string]bool{}
	for i := 0; i+1 < len(changes); i += 2 {
		name, value := changes[i], changes[i+1]
		if rm, ok := strings.CutPrefix(name, "-"); ok {
			for j := 0; j < len(out); j += 2 {
				if out[j] == rm {
					out = append(out[:j], out[j+2:]...)
					break
				}
			}
			continue
		}
		j := slicesIndexName(out, name)
		if strings.HasPrefix(name, ":") && j >= 0 && !replaced[name] {
			out[j+1] = value
			replaced[name] = true
			continue
		}
		if strings.HasPrefix(name, ":") {
			// After the other pseudo-header fields, before regular ones.
			k := 0
			for k < len(out) && strings.HasPrefix(out[k], ":") {
				k += 2
			}
			out = append(out[:k], append([]string{name, value}, out[k:]...)...)
			continue
		}
		out = append(out, name, value)
	}
	return out
}

func slicesIndexName(fields []string, name string) int {
	for j := 0; j < len(fields); j += 2 {
		if fields[j] == name {
			return j
		}
	}
	return -1
}

// block encodes name-value pairs as a header block.
func (c *h2Client) block(fields ...string) []byte {
	c.buf.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		c.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return bytes.Clone(c.buf.Bytes())
}

// outcome reads frames until stream id's status, its RST_STREAM or a
// GOAWAY, and says which as h2Malformed.want does.
func (c *h2Client) outcome(id uint32) (string, error) {
	if c.dec == nil {
		c.dec = hpack.NewDecoder(4096, nil)
	}
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			return "", err
		}
		switch f := f.(type) {
		case *xhttp2.GoAwayFrame:
			return "GOAWAY " + f.ErrCode.String(), nil
		case *xhttp2.RSTStreamFrame:
			if f.StreamID == id {
				return "RST_STREAM " + f.ErrCode.String(), nil
			}
		case *xhttp2.HeadersFrame:
			fields, err := c.dec.DecodeFull(f.HeaderBlockFragment())
			if err != nil {
				return "", err
			}
			for _, hf := range fields {
				if hf.Name == ":status" && f.StreamID == id {
					return hf.Value, nil
				}
			}
		}
	}
}

// outcomeThenClose reads frames until the server closes the connection
// and returns stream id's status, then its RST_STREAM and the GOAWAY, as
// h2Malformed.want and then say them ("" where none came).
func (c *h2Client) outcomeThenClose(id uint32) []string {
	dec := hpack.NewDecoder(4096, nil)
	var status, rst, goAway string
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			break
		}
		switch f := f.(type) {
		case *xhttp2.GoAwayFrame:
			goAway = "GOAWAY " + f.ErrCode.String()
		case *xhttp2.RSTStreamFrame:
			if f.StreamID == id {
				rst = "RST_STREAM " + f.ErrCode.String()
			}
		case *xhttp2.HeadersFrame:
			fields, _ := dec.DecodeFull(f.HeaderBlockFragment())
			for _, hf := range fields {
				if hf.Name == ":status" && f.StreamID == id {
					status = hf.Value
				}
			}
		}
	}
	return []string{status, rst, goAway}
}

// Each row of the table gets its answer over a real connection: a status
// or a reset leaves the connection serving (the next request's header
// block refers to the HPACK dynamic table, so the server's must have kept
// up), a GOAWAY is followed by the close.
func TestH2MalformedRequests(t *testing.T) {
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()),
		container.WithConnector(connector.Config{ReadHeaderTimeout: 2 * time.Second, DataRateGrace: time.Second}))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	c.HandleFunc("/echo", func(w api.Response, r *api.Request) error {
		b, err := io.ReadAll(r.Body())
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	addr := listen(t, c)
	for _, tc := range h2MalformedRequests {
		t.Run(tc.name, func(t *testing.T) {
			cl := dialH2C(t, addr)
			switch {
			case tc.send != nil:
				tc.send(t, cl)
			default:
				block := cl.block(requestFields(h2Get, tc.fields, tc.whole)...)
				cl.writeBlock(t, 1, block, tc.body == "" && !tc.open)
				if tc.body != "" {
					cl.fr.WriteData(1, true, []byte(tc.body))
				}
			}
			if tc.then != nil {
				got := cl.outcomeThenClose(1)
				if want := append([]string{tc.want}, tc.then...); !slices.Equal(got, want) {
					t.Fatalf("got %q, want %q, then the close", got, want)
				}
				return
			}
			got, err := cl.outcome(1)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if strings.HasPrefix(tc.want, "GOAWAY") {
				if err := cl.closedByServer(); err != nil {
					t.Fatalf("after the GOAWAY: %v", err)
				}
				return
			}
			block := cl.block(h2Get...)
			cl.writeBlock(t, 3, block, true)
			if r := cl.readResponses(t, 3)[3]; r.status != "200" || r.body.String() != "hello" {
				t.Fatalf("the next request: %s %q (reset %v %v)", r.status, r.body.String(), r.reset, r.rst)
			}
		})
	}
}

// docs/protocols.md shows h2MalformedRequests as they are: the table
// between its markers is generated from it (go test ./connector/http2 -run
// TestH2MalformedTable -update-docs rewrites it).
func TestH2MalformedTable(t *testing.T) {
	wharftest.DocSection(t, "../../docs/protocols.md", "h2-malformed", h2MalformedTable(), *updateDocs)
}

// h2MalformedTable renders h2MalformedRequests as Markdown, one table per
// group.
func h2MalformedTable() string {
	var b strings.Builder
	group := ""
	for _, tc := range h2MalformedRequests {
		if tc.group != group {
			group = tc.group
			fmt.Fprintf(&b, "\n**%s**\n\n| Input | Example (abridged) | Answer |\n|---|---|---|\n", group)
		}
		answer := tc.want + ", connection kept"
		if tc.then != nil {
			answer = tc.want + ", then `" + strings.Join(tc.then, "` and `") + "`, connection closed"
		} else if strings.HasPrefix(tc.want, "GOAWAY") {
			answer = "`" + tc.want + "`, connection closed"
		} else if strings.HasPrefix(tc.want, "RST_STREAM") {
			answer = "`" + tc.want + "`, connection kept"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", tc.name, h2Example(tc), answer)
	}
	b.WriteString("\n")
	return b.String()
}

// h2Example is a row's Example cell: its changes to the GET, abridged.
func h2Example(tc h2Malformed) string {
	if tc.send != nil {
		return tc.shown
	}
	var parts []string
	same := len(tc.fields) > 8
	for i := 0; i+1 < len(tc.fields); i += 2 {
		name, value := tc.fields[i], tc.fields[i+1]
		same = same && name == tc.fields[0] && value == tc.fields[1]
		if rm, ok := strings.CutPrefix(name, "-"); ok {
			parts = append(parts, "no "+rm)
			continue
		}
		parts = append(parts, name+": "+h2Abridge(value))
	}
	s := strings.Join(parts, "; ")
	if same {
		s = fmt.Sprintf("%d × %s", len(parts), parts[0])
	}
	if tc.whole {
		s = "whole request: " + s
	}
	if tc.body != "" {
		s += "; DATA " + strconv.Quote(tc.body)
	}
	if tc.open {
		s += "; no body"
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// h2Abridge quotes a field value's escapes and cuts long runs of one byte.
// An empty value, or one that starts or ends with whitespace, keeps its
// quotes: the table would not show the whitespace otherwise.
func h2Abridge(v string) string {
	if v == "" || strings.TrimSpace(v) != v {
		return strconv.Quote(v)
	}
	q := strconv.Quote(v)
	q = q[1 : len(q)-1]
	if len(v) > 64 {
		start := 0
		if v[0] == '/' {
			start = 1
		}
		run := len(v) - start
		if strings.Count(v[start:], v[start:start+1]) == run {
			return v[:start] + fmt.Sprintf("…%d × %c…", run, v[start])
		}
	}
	return q
}
