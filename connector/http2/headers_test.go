package http2_test

import (
	"strings"
	"testing"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// writeBlock sends a header block on stream id as HEADERS and as many
// CONTINUATION frames as 16 KiB frames need.
func (c *h2Client) writeBlock(t *testing.T, id uint32, block []byte, end bool) {
	t.Helper()
	const max = 16 << 10
	first := block[:min(len(block), max)]
	rest := block[len(first):]
	if err := c.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: first, EndStream: end, EndHeaders: len(rest) == 0}); err != nil {
		t.Fatal(err)
	}
	for len(rest) > 0 {
		frag := rest[:min(len(rest), max)]
		rest = rest[len(frag):]
		if err := c.fr.WriteContinuation(id, len(rest) == 0, frag); err != nil {
			t.Fatal(err)
		}
	}
}

// fieldsServer serves /fields, which answers with the request's X-Before
// and X-After fields.
func fieldsServer(t *testing.T) string {
	t.Helper()
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/fields", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString(r.Header().Get("X-Before") + " " + r.Header().Get("X-After"))
		return err
	})
	return listen(t, c)
}

// One header field longer than the whole header list may be (MaxHeaderBytes
// + 32 × MaxHeaders, 19,584 bytes by default) is answered 431 on its
// stream, like a list of many fields over it, and the connection goes on.
// The block is decoded to its end and the field dropped, so the HPACK
// dynamic table stays the client's: the next request refers to the fields
// the client indexed before and after the big one, and is served.
func TestH2OversizedField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
	}{
		// 'a' is 5 bits in HPACK's Huffman code: 12,500 bytes, one frame.
		{"Huffman-coded in one HEADERS", strings.Repeat("a", 20000)},
		// '~' is 13 bits: the encoder sends it raw, HEADERS + CONTINUATION.
		{"raw over HEADERS and CONTINUATION", strings.Repeat("~", 20000)},
		{"name and value", strings.Repeat("~", 10000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := dialH2C(t, fieldsServer(t))
			name := "x-big"
			if tc.name == "name and value" {
				name = strings.Repeat("n", 10000)
			}
			cl.writeBlock(t, 1, cl.headerBlock("/fields",
				hpack.HeaderField{Name: "x-before", Value: "1"},
				hpack.HeaderField{Name: name, Value: tc.value},
				hpack.HeaderField{Name: "x-after", Value: "2"},
			), true)
			if r := cl.readResponses(t, 1)[1]; r.status != "431" {
				t.Fatalf("stream 1: %s (reset %v %v), want 431", r.status, r.reset, r.rst)
			}
			// Every field of this block is in the client's dynamic table:
			// the server decodes it only if its table is the same.
			block := cl.headerBlock("/fields", hpack.HeaderField{Name: "x-before", Value: "1"}, hpack.HeaderField{Name: "x-after", Value: "2"})
			if len(block) > 8 {
				t.Fatalf("the second block is %d bytes: it no longer refers to the dynamic table", len(block))
			}
			cl.writeBlock(t, 3, block, true)
			if r := cl.readResponses(t, 3)[3]; r.status != "200" || r.body.String() != "1 2" {
				t.Fatalf("stream 3: %s %q (reset %v %v), want 200 \"1 2\"", r.status, r.body.String(), r.reset, r.rst)
			}
		})
	}
}
