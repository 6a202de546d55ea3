package http2_test

import (
	"bytes"
	"strings"
	"testing"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
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

// A client that lowers SETTINGS_HEADER_TABLE_SIZE may empty its decoder's
// table as soon as the server acknowledges. If the size drops and comes
// back before the server's next header block, in one SETTINGS frame (whose
// values apply in order, RFC 9113 §6.5.3) or in two, that block must still
// start with a dynamic table size update no larger than the low point
// (RFC 7541 §4.2), and must not refer to entries indexed before it.
func TestH2HeaderTableSizeDip(t *testing.T) {
	tableSize := func(v uint32) xhttp2.Setting { return xhttp2.Setting{ID: xhttp2.SettingHeaderTableSize, Val: v} }
	for _, tc := range []struct {
		name   string
		frames [][]xhttp2.Setting // SETTINGS frames sent between the responses
	}{
		{"down to 0", [][]xhttp2.Setting{{tableSize(0)}}},
		{"down to 0 and back in one frame", [][]xhttp2.Setting{{tableSize(0), tableSize(4096)}}},
		{"down to 0 and back in two frames", [][]xhttp2.Setting{{tableSize(0)}, {tableSize(4096)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := abuseServer(t)
			cl := dialH2C(t, addr)
			acks := 0
			// block returns the header block of stream id's response,
			// counting the SETTINGS acknowledgements read meanwhile.
			block := func(id uint32) []byte {
				t.Helper()
				for {
					f, err := cl.fr.ReadFrame()
					if err != nil {
						t.Fatal(err)
					}
					switch f := f.(type) {
					case *xhttp2.SettingsFrame:
						if f.IsAck() {
							acks++
						}
					case *xhttp2.HeadersFrame:
						if f.StreamID == id {
							if !f.HeadersEnded() {
								t.Fatal("a response head in CONTINUATION frames")
							}
							return bytes.Clone(f.HeaderBlockFragment())
						}
					}
				}
			}
			dec := hpack.NewDecoder(4096, nil)
			cl.get(t, 1, "/hello", true)
			if _, err := dec.DecodeFull(block(1)); err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.frames {
				if err := cl.fr.WriteSettings(s...); err != nil {
					t.Fatal(err)
				}
			}
			for acks < 1+len(tc.frames) { // the preface's SETTINGS, then these
				f, err := cl.fr.ReadFrame()
				if err != nil {
					t.Fatal(err)
				}
				if s, ok := f.(*xhttp2.SettingsFrame); ok && s.IsAck() {
					acks++
				}
			}
			// Acknowledged: the decoder empties its table, as a client
			// that sent 0 may, and takes sizes up to the last value.
			dec.SetMaxDynamicTableSize(0)
			cl.get(t, 3, "/hello", true)
			b := block(3)
			if len(b) == 0 || b[0] != 0x20 {
				t.Errorf("the next header block starts % x, want a table size update to 0 (20)", b[:min(len(b), 4)])
			}
			fields, err := dec.DecodeFull(b)
			if err != nil {
				t.Fatalf("the next header block does not decode: %v", err)
			}
			if fields[0].Name != ":status" || fields[0].Value != "200" {
				t.Fatalf("the next response: %v", fields)
			}
		})
	}
}

// A header block is read whole however finely the client splits it: a
// request within the header list limit, sent as a HEADERS frame and
// CONTINUATION frames of one byte each, is served, even when the limit is
// tiny and the frames' headers add up to many times the block. Empty
// frames, which carry nothing of it, still count (TestH2ContinuationFlood).
func TestH2HeaderBlockInTinyFrames(t *testing.T) {
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()),
		container.WithConnector(connector.Config{MaxHeaderBytes: 200, MaxHeaders: 10}))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	addr := listen(t, c)
	for _, tc := range []struct {
		name string
		size int // of each frame's fragment
	}{
		{"one frame", 16 << 10},
		{"frames of 7 bytes", 7},
		{"frames of 1 byte", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := dialH2C(t, addr)
			// A header list of 508 bytes as HTTP/2 counts, under the
			// 200 + 32 × 10 = 520; the block is 321 bytes, some 3,200 with
			// the headers of frames of 1 byte, past the 2,080 of 4 × 520.
			block := cl.block(requestFields(h2Get, []string{"x-pad", strings.Repeat("~", 300)}, false)...)
			frag := block[:min(tc.size, len(block))]
			rest := block[len(frag):]
			if err := cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: frag, EndStream: true, EndHeaders: len(rest) == 0}); err != nil {
				t.Fatal(err)
			}
			for len(rest) > 0 {
				frag, rest = rest[:min(tc.size, len(rest))], rest[min(tc.size, len(rest)):]
				if err := cl.fr.WriteContinuation(1, len(rest) == 0, frag); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := cl.outcome(1); err != nil || got != "200" {
				t.Fatalf("got %q (%v), want 200", got, err)
			}
		})
	}
}

// White space around a field's value is taken off, as HTTP/1.1's parser
// takes it off, so that a handler sees the same value on both: RFC 9113
// §8.2.1 calls such a field malformed, but Go's client sends it as given
// and retries a request reset for it until its own timeout.
func TestH2FieldValueTrimmed(t *testing.T) {
	cl := dialH2C(t, fieldsServer(t))
	for i, tc := range []struct{ before, after, want string }{
		{" 1", "2\t", "1 2"},
		{"\t 1 \t", "  ", "1 "},
		{"a b", "c", "a b c"},
	} {
		id := uint32(2*i + 1)
		cl.writeBlock(t, id, cl.headerBlock("/fields",
			hpack.HeaderField{Name: "x-before", Value: tc.before},
			hpack.HeaderField{Name: "x-after", Value: tc.after},
		), true)
		if r := cl.readResponses(t, id)[id]; r.status != "200" || r.body.String() != tc.want {
			t.Errorf("%q, %q: %s %q (reset %v %v), want 200 %q", tc.before, tc.after, r.status, r.body.String(), r.reset, r.rst, tc.want)
		}
	}
}
