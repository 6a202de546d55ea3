package http2

import (
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
	"time"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/h1"
)

// h2cUpgrade returns the settings of an HTTP/1.1 request that asks to
// switch to h2c (RFC 7540 §3.2: "Upgrade: h2c", "Connection: Upgrade,
// HTTP2-Settings" and one HTTP2-Settings field), or ok false. The
// connector asks only about requests without a body: those with one are
// served over HTTP/1.1 as if they had not asked, since the body would have
// to be read whole before switching.
func h2cUpgrade(r *api.RequestHead) (settings []xhttp2.Setting, ok bool) {
	if r.ProtoMinor != 1 {
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
		st := xhttp2.Setting{ID: xhttp2.SettingID(binary.BigEndian.Uint16(raw)), Val: binary.BigEndian.Uint32(raw[2:])}
		if st.Valid() != nil {
			return nil, false
		}
		settings = append(settings, st)
	}
	return settings, true
}

// serveUpgrade switches a connection to h2c after a request that asked
// for it: 101 Switching Protocols, then HTTP/2 with the request as stream
// 1, half-closed by the client, answered like any other stream.
func (hc *serverConn) serveUpgrade(req *api.RequestHead) {
	settings, _ := h2cUpgrade(req)
	hc.nc.SetWriteDeadline(time.Now().Add(hc.lim.WriteTimeout))
	if _, err := hc.nc.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")); err != nil {
		hc.books.Close()
		return
	}
	for _, set := range settings {
		hc.applySettingLocked(set) // valid, checked by h2cUpgrade; no stream yet to overflow
	}
	st := newStream(hc, 1)
	st.req = *req
	st.req.Proto, st.req.ProtoMajor, st.req.ProtoMinor = "HTTP/2.0", 2, 0
	st.req.Header = req.Header.Without("Upgrade", "Connection", "Http2-Settings")
	st.req.Body = &st.body
	st.req.Trailer = st.body.Trailer
	st.isHead = req.Method == http.MethodHead
	st.body.end()
	st.state = h2HalfClosedRemote
	hc.maxID, hc.lastID = 1, 1
	hc.streams[1] = st
	hc.open, hc.handlers = 1, 1
	hc.upgraded = st
	hc.serve()
}
