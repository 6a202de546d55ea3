package http2_test

import (
	"testing"

	xhttp2 "golang.org/x/net/http2"
)

// goAwayOrPing sends a PING and reads frames until its acknowledgement
// ("PING": the connection goes on) or a GOAWAY ("GOAWAY" and its code).
func (c *h2Client) goAwayOrPing(t *testing.T) string {
	t.Helper()
	if err := c.fr.WritePing(false, [8]byte{'s', 'k', 'i', 'p'}); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading: %v", err)
		}
		switch f := f.(type) {
		case *xhttp2.GoAwayFrame:
			return "GOAWAY " + f.ErrCode.String()
		case *xhttp2.PingFrame:
			if f.IsAck() && f.Data == [8]byte{'s', 'k', 'i', 'p'} {
				return "PING"
			}
		}
	}
}

// A stream id the client passed over when it opened a higher one is closed
// without having been opened: a HEADERS frame on it opens a stream out of
// order, GOAWAY PROTOCOL_ERROR (RFC 9113 §5.1.1), however long ago it was
// passed over, whether the block is malformed or not, and whatever frame
// came on it before. A stream the server reset still ignores the frames
// the client sent before it knew.
func TestH2HeadersOnSkippedID(t *testing.T) {
	addr, _ := abuseServer(t)
	for _, tc := range []struct {
		name string
		send func(t *testing.T, c *h2Client)
		want string
	}{
		{"passed over", func(t *testing.T, c *h2Client) {
			c.writeBlock(t, 1, c.block(h2Get...), true)
			c.writeBlock(t, 5, c.block(h2Get...), true)
			c.writeBlock(t, 3, c.block(h2Get...), true)
		}, "GOAWAY PROTOCOL_ERROR"},
		{"passed over long ago", func(t *testing.T, c *h2Client) {
			// 3, 7, 11, ...: more runs of skipped ids than the server
			// keeps one by one.
			for id := uint32(1); id < 4*300; id += 4 {
				c.writeBlock(t, id, c.block(h2Get...), true)
			}
			c.writeBlock(t, 3, c.block(h2Get...), true)
		}, "GOAWAY PROTOCOL_ERROR"},
		{"passed over, malformed", func(t *testing.T, c *h2Client) {
			c.writeBlock(t, 1, c.block(h2Get...), true)
			c.writeBlock(t, 5, c.block(h2Get...), true)
			c.writeBlock(t, 3, c.block(append(h2Get[:len(h2Get):len(h2Get)], "X-Upper", "a")...), true)
		}, "GOAWAY PROTOCOL_ERROR"},
		{"passed over, after DATA on it", func(t *testing.T, c *h2Client) {
			c.writeBlock(t, 1, c.block(h2Get...), true)
			c.writeBlock(t, 5, c.block(h2Get...), true)
			c.fr.WriteData(3, true, []byte("x")) // RST_STREAM STREAM_CLOSED
			c.writeBlock(t, 3, c.block(h2Get...), true)
		}, "GOAWAY PROTOCOL_ERROR"},
		{"reset by the server", func(t *testing.T, c *h2Client) {
			c.writeBlock(t, 1, c.block(append(h2Get[:len(h2Get):len(h2Get)], "X-Upper", "a")...), true)
			c.writeBlock(t, 1, c.block(h2Get...), true)
		}, "PING"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialH2C(t, addr)
			tc.send(t, c)
			if got := c.goAwayOrPing(t); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// An even stream id is the server's to open (by PUSH_PROMISE, which it
// never sends), so it is idle whatever the client opened: DATA,
// WINDOW_UPDATE or RST_STREAM on one is GOAWAY PROTOCOL_ERROR (RFC 9113
// §5.1), below the client's highest stream id as above it, while
// PRIORITY, which an idle stream may get, is taken.
func TestH2FramesOnEvenID(t *testing.T) {
	addr, _ := abuseServer(t)
	for _, tc := range []struct {
		name string
		send func(fr *xhttp2.Framer, id uint32) error
		want string
	}{
		{"DATA", func(fr *xhttp2.Framer, id uint32) error { return fr.WriteData(id, true, []byte("x")) }, "GOAWAY PROTOCOL_ERROR"},
		{"empty DATA", func(fr *xhttp2.Framer, id uint32) error { return fr.WriteData(id, false, nil) }, "GOAWAY PROTOCOL_ERROR"},
		{"WINDOW_UPDATE", func(fr *xhttp2.Framer, id uint32) error { return fr.WriteWindowUpdate(id, 1) }, "GOAWAY PROTOCOL_ERROR"},
		{"WINDOW_UPDATE of 0", func(fr *xhttp2.Framer, id uint32) error { return fr.WriteWindowUpdate(id, 0) }, "GOAWAY PROTOCOL_ERROR"},
		{"RST_STREAM", func(fr *xhttp2.Framer, id uint32) error { return fr.WriteRSTStream(id, xhttp2.ErrCodeCancel) }, "GOAWAY PROTOCOL_ERROR"},
		{"PRIORITY", func(fr *xhttp2.Framer, id uint32) error {
			return fr.WritePriority(id, xhttp2.PriorityParam{StreamDep: 1, Weight: 15})
		}, "PING"},
	} {
		for _, at := range []struct {
			name string
			id   uint32
		}{{"below the highest id", 2}, {"above it", 8}} {
			t.Run(tc.name+" "+at.name, func(t *testing.T) {
				c := dialH2C(t, addr)
				c.fr.AllowIllegalWrites = true // the zero increment
				for id := uint32(1); id <= 5; id += 2 {
					c.writeBlock(t, id, c.block(h2Get...), true)
				}
				if err := tc.send(c.fr, at.id); err != nil {
					t.Fatal(err)
				}
				if got := c.goAwayOrPing(t); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
			})
		}
	}
}
