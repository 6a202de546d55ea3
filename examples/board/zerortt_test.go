package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/qpack"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/quic-go/quicvarint"
)

// A request sent as HTTP/3 0-RTT data can be replayed by whoever captured
// it (RFC 9001 §9.2): h3 holds a POST until the handshake completes, but
// the board, with -h3, refuses 0-RTT altogether. A returning client's POST,
// written before the handshake of a connection resumed from the login's
// session ticket completes, goes after it, not as 0-RTT data.
func TestRefuses0RTT(t *testing.T) {
	b := startBoard(t, "-tls", "-h3")
	u, err := url.Parse(b.base)
	if err != nil {
		t.Fatal(err)
	}
	tlsConf := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{http3.NextProtoH3},
		ClientSessionCache: tls.NewLRUClientSessionCache(1)}

	// A first connection: the login's round trip brings the cookie and
	// the session ticket.
	tr := &http3.Transport{TLSClientConfig: tlsConf}
	defer tr.Close()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr, Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cookie := strings.SplitN(login(t, c, b.base, "ann"), ";", 2)[0]
	tr.CloseIdleConnections()

	// The POST, written before the handshake completes: as 0-RTT data
	// when the board accepts it. quic-go's own client waits for the
	// handshake before it sends anything but a GET, so the stream is
	// written by hand, as a client that does not wait would.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	conn, err := quic.DialAddrEarly(ctx, u.Host, tlsConf, &quic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseWithError(0, "")
	str, err := conn.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	body := `{"text":"sent early"}`
	var fields bytes.Buffer
	enc := qpack.NewEncoder(&fields)
	for _, f := range [][2]string{
		{":method", "POST"}, {":scheme", "https"}, {":authority", u.Host}, {":path", "/api/posts"},
		{"content-type", "application/json"}, {"content-length", strconv.Itoa(len(body))}, {"cookie", cookie},
	} {
		if err := enc.WriteField(qpack.HeaderField{Name: f[0], Value: f[1]}); err != nil {
			t.Fatal(err)
		}
	}
	var req []byte
	req = quicvarint.Append(req, 0x1) // HEADERS
	req = quicvarint.Append(req, uint64(fields.Len()))
	req = append(req, fields.Bytes()...)
	req = quicvarint.Append(req, 0x0) // DATA
	req = quicvarint.Append(req, uint64(len(body)))
	req = append(req, body...)
	if _, err := str.Write(req); err == nil {
		str.Close()
		io.Copy(io.Discard, str) // the answer, or the reset of a refused 0-RTT
	}
	select {
	case <-conn.HandshakeComplete():
	case <-ctx.Done():
		t.Fatal("no handshake")
	}
	if conn.ConnectionState().Used0RTT {
		a := send(t, c, "GET", b.base+"/api/posts", nil, nil)
		t.Errorf("the resumed connection used 0-RTT, which can be replayed; the POST sent early made a post: %v (%s)",
			strings.Contains(a.Body, "sent early"), a.Body)
	}
}
