package connector

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"net"
	"strings"

	"golang.org/x/net/http2"

	"github.com/wharf-go/wharf/internal/h1"
)

// h2cUpgrade returns the settings of an HTTP/1.1 request that asks to
// switch to h2c (RFC 7540 §3.2: "Upgrade: h2c", "Connection: Upgrade,
// HTTP2-Settings" and one HTTP2-Settings field), or ok false. Requests with
// a body are served over HTTP/1.1 as if they had not asked: the body
// would have to be read whole before switching.
func h2cUpgrade(s *stream) (settings []http2.Setting, ok bool) {
	r := &s.req
	if r.ProtoMinor != 1 || r.ContentLength != 0 || s.body.kind != bodyNone {
		return nil, false
	}
	if !h1.ContainsToken([]byte(strings.Join(r.Header.Values("Upgrade"), ",")), "h2c") {
		return nil, false
	}
	conn := []byte(strings.Join(r.Header.Values("Connection"), ","))
	if !h1.ContainsToken(conn, "upgrade") || !h1.ContainsToken(conn, "http2-settings") {
		return nil, false
	}
	vs := r.Header.Values("Http2-Settings")
	if len(vs) != 1 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(vs[0], "="))
	if err != nil || len(raw)%6 != 0 {
		return nil, false
	}
	for ; len(raw) > 0; raw = raw[6:] {
		st := http2.Setting{ID: http2.SettingID(binary.BigEndian.Uint16(raw)), Val: binary.BigEndian.Uint32(raw[2:])}
		if st.Valid() != nil {
			return nil, false
		}
		settings = append(settings, st)
	}
	return settings, true
}

// h2Handover takes the connection away from HTTP/1.1: the epoll side
// becomes a blocking net.Conn, and the bytes read past the request head
// are kept in front of it.
func (c *conn) h2Handover() (net.Conn, *bufio.Reader, bool) {
	nc := c.nc
	if c.ep != nil {
		var err error
		if nc, err = c.ep.toNetConn(); err != nil {
			c.close()
			return nil, nil, false
		}
	}
	pc := &prefixConn{Conn: nc, prefix: bytes.Clone(c.rbuf[c.r:c.w])}
	if c.ep != nil {
		c.srv.putReadBuffer(c.rbuf)
	}
	c.rbuf, c.r, c.w, c.cur = nil, 0, 0, nil
	// The connection is HTTP/2's now; c keeps the books. Under the
	// server's mutex: Shutdown and Close read the two (connList.all).
	c.srv.mu.Lock()
	c.nc, c.ep = nc, nil
	if c.srv.closedHard {
		// Close looked at the connection before this swap and could not
		// reach the new socket.
		nc.Close()
	}
	c.srv.mu.Unlock()
	return nc, bufio.NewReaderSize(pc, 16<<10), true
}

// serveH2CAfter serves a connection as h2c after readRequest said so.
func (c *conn) serveH2CAfter(s *stream, res readResult) {
	if res == readH2CUpgrade {
		c.serveH2CUpgrade(s)
		return
	}
	c.serveH2C()
}

// serveH2CUpgrade switches a connection to h2c after a request that asked
// for it: 101 Switching Protocols, then HTTP/2 with the request as stream
// 1, half-closed by the client, answered like any other stream.
func (c *conn) serveH2CUpgrade(s *stream) {
	settings, _ := h2cUpgrade(s)
	nc, br, ok := c.h2Handover()
	if !ok {
		return
	}
	c.setWriteDeadline()
	if _, err := nc.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")); err != nil {
		c.close()
		return
	}
	hc := newH2Conn(c, nc, br)
	for _, set := range settings {
		hc.applySettingLocked(set) // valid, checked by h2cUpgrade; no stream yet to overflow
	}
	st := newH2Stream(hc, 1)
	st.req = s.req
	st.req.Proto, st.req.ProtoMajor, st.req.ProtoMinor = "HTTP/2.0", 2, 0
	st.req.Header = s.req.Header.Without("Upgrade").Without("Connection").Without("Http2-Settings")
	st.req.Body = &st.body
	st.req.Trailer = st.body.Trailer
	st.isHead = s.isHead
	st.body.end()
	st.state = h2HalfClosedRemote
	hc.maxID, hc.lastID = 1, 1
	hc.streams[1] = st
	hc.open, hc.handlers = 1, 1
	hc.upgraded = st
	hc.serve(true)
}
