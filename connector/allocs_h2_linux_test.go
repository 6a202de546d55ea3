package connector_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// h2Client is a raw HTTP/2 client (h2c, prior knowledge) that sends the
// same GET on stream after stream and reads each answer to its
// END_STREAM, allocating nothing itself once open.
type h2Client struct {
	nc  net.Conn
	req []byte // a WINDOW_UPDATE giving back the last answer's bytes, then HEADERS
	buf []byte
	id  uint32
}

// The request's frames, their offsets in h2Client.req.
const (
	h2WindowLen = 9 + 4
	h2HeadersAt = h2WindowLen
)

func dialH2(t *testing.T, addr string, extra ...[2]string) *h2Client {
	t.Helper()
	nc := wharftest.Dial(t, addr, 0)
	var open bytes.Buffer
	open.WriteString(http2.ClientPreface)
	fr := http2.NewFramer(&open, nil)
	fr.WriteSettings()
	fr.WriteSettingsAck() // for the server's, which carry nothing this client must heed
	if _, err := nc.Write(open.Bytes()); err != nil {
		t.Fatal(err)
	}
	// One header block, without the dynamic table (its size set to 0 at
	// the start), sent again on every stream.
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	enc.SetMaxDynamicTableSizeLimit(0)
	fields := append([][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "localhost"}, {":path", "/hello"}, {"user-agent", "h2-allocs"}}, extra...)
	for _, f := range fields {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	var req bytes.Buffer
	fr = http2.NewFramer(&req, nil)
	fr.WriteWindowUpdate(0, 1) // its increment is set before each send
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true})
	return &h2Client{nc: nc, req: req.Bytes(), buf: make([]byte, 16<<10), id: 1}
}

// roundTrip sends the next GET and reads to its answer's END_STREAM,
// returning the DATA bytes the answer carried.
func (c *h2Client) roundTrip(t testing.TB, window uint32) uint32 {
	binary.BigEndian.PutUint32(c.req[9:], window)
	binary.BigEndian.PutUint32(c.req[h2HeadersAt+5:], c.id)
	if window == 0 { // no answer yet to give back: skip the WINDOW_UPDATE
		if _, err := c.nc.Write(c.req[h2WindowLen:]); err != nil {
			t.Fatal(err)
		}
	} else if _, err := c.nc.Write(c.req); err != nil {
		t.Fatal(err)
	}
	var data uint32
	n, at := 0, 0
	for {
		for n-at >= 9 { // a whole frame header
			length := int(c.buf[at])<<16 | int(c.buf[at+1])<<8 | int(c.buf[at+2])
			if n-at < 9+length {
				break
			}
			typ, flags := http2.FrameType(c.buf[at+3]), http2.Flags(c.buf[at+4])
			id := binary.BigEndian.Uint32(c.buf[at+5:]) & (1<<31 - 1)
			at += 9 + length
			if typ == http2.FrameGoAway || typ == http2.FrameRSTStream {
				t.Fatalf("stream %d: %v frame", c.id, typ)
			}
			if typ == http2.FrameData && id == c.id {
				data += uint32(length)
			}
			if id == c.id && (typ == http2.FrameData || typ == http2.FrameHeaders) && flags.Has(http2.FlagDataEndStream) {
				if at != n {
					t.Fatalf("stream %d: %d bytes after its end", c.id, n-at)
				}
				c.id += 2
				return data
			}
		}
		if at == n {
			n, at = 0, 0
		}
		m, err := c.nc.Read(c.buf[n:])
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if m == 0 {
			t.Fatalf("stream %d: connection closed", c.id)
		}
		n += m
	}
}

// The allocations of a GET over HTTP/2 and its small answer, the whole
// way through the epoll connector, HTTP/2's reader and writer and the
// container: the framer's HEADERS frame (and the client's WINDOW_UPDATE),
// the decoder's strings for the literal fields (this client keeps no
// dynamic table, as a browser would), the stream, its task and its
// request's fields, the exchange, and the answer's head fields. A type
// set alone costs no map. The ownership checks of tests add ten, all in
// the test's goroutine lookups.
func TestAllocsPerRequestH2(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	tests := []struct {
		name   string
		h      api.HandlerFunc
		max    float64
		owner  float64     // what the ownership checks of tests add (see TestAllocsPerRequest)
		fields [][2]string // sent beside the GET's own
	}{
		{"content-type", func(w api.Response, r *api.Request) error {
			api.SetContentType(w, "text/plain")
			return sayHello(w)
		}, 10, 10, nil},
		{"header", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			return sayHello(w)
		}, 13, 10, nil},
		// A declared length, here repeated, costs nothing to check:
		// h1.ParseContentLength reads the field's string in place.
		{"content-length", func(w api.Response, r *api.Request) error {
			api.SetContentType(w, "text/plain")
			return sayHello(w)
		}, 10, 10, [][2]string{{"content-length", "0"}, {"content-length", "0"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := container.New(container.WithH2C())
			c.Handle("/hello", api.NonBlockingFunc(tc.h))
			t.Cleanup(func() { c.Close() })
			cl := dialH2(t, wharftest.Listen(t, c), tc.fields...)
			var window uint32
			for range 200 { // warm the pools and the connection
				window = cl.roundTrip(t, window)
			}
			wantAllocs(t, testing.AllocsPerRun(2000, func() { window = cl.roundTrip(t, window) }), tc.max, tc.owner)
		})
	}
}
