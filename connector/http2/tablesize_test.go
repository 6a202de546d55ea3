package http2_test

import (
	"bytes"
	"testing"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// A client that lowers SETTINGS_HEADER_TABLE_SIZE and raises it again
// gets its compression back: once the size is up, the server's header
// blocks index fields in the dynamic table again, after the updates that
// signal the dip (TestH2HeaderTableSizeDip). One that stays at 0 does not.
func TestH2HeaderTableSizeRestored(t *testing.T) {
	tableSize := func(v uint32) xhttp2.Setting { return xhttp2.Setting{ID: xhttp2.SettingHeaderTableSize, Val: v} }
	for _, tc := range []struct {
		name          string
		before, after [][]xhttp2.Setting // SETTINGS frames sent before and after the second response
		indexed       bool               // the last response refers to the dynamic table
	}{
		{"down to 0", [][]xhttp2.Setting{{tableSize(0)}}, nil, false},
		{"down to 0 and back in one frame", [][]xhttp2.Setting{{tableSize(0), tableSize(4096)}}, nil, true},
		{"down to 0 and back in two frames", [][]xhttp2.Setting{{tableSize(0)}, {tableSize(4096)}}, nil, true},
		{"down to 0, a response, and back", [][]xhttp2.Setting{{tableSize(0)}}, [][]xhttp2.Setting{{tableSize(4096)}}, true},
		{"down to 0, a response, and half back", [][]xhttp2.Setting{{tableSize(0)}}, [][]xhttp2.Setting{{tableSize(2048)}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := abuseServer(t)
			cl := dialH2C(t, addr)
			dec := hpack.NewDecoder(4096, nil)
			// response reads stream id's response head and decodes it
			// with the connection's decoder.
			response := func(id uint32) []byte {
				t.Helper()
				cl.get(t, id, "/hello", true)
				for {
					f, err := cl.fr.ReadFrame()
					if err != nil {
						t.Fatal(err)
					}
					if h, ok := f.(*xhttp2.HeadersFrame); ok && h.StreamID == id {
						b := bytes.Clone(h.HeaderBlockFragment())
						if _, err := dec.DecodeFull(b); err != nil {
							t.Fatalf("stream %d's response head does not decode: %v", id, err)
						}
						return b
					}
				}
			}
			settings := func(frames [][]xhttp2.Setting) {
				t.Helper()
				for _, s := range frames {
					if err := cl.fr.WriteSettings(s...); err != nil {
						t.Fatal(err)
					}
				}
			}
			response(1)
			settings(tc.before)
			response(3)
			settings(tc.after)
			response(5)
			last := response(7)
			// Alone, a block decodes only if it refers to no field indexed
			// before it.
			_, err := hpack.NewDecoder(4096, nil).DecodeFull(last)
			if indexed := err != nil; indexed != tc.indexed {
				t.Fatalf("the last response head refers to the dynamic table: %v, want %v (% x)", indexed, tc.indexed, last)
			}
		})
	}
}
