package h3_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/quic-go/quicvarint"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A returning client may send its requests as 0-RTT data unless
// Config.Disable0RTT refuses it: the second connection, resumed from the
// first's session ticket, then uses no early data, and cannot be replayed.
func TestDisable0RTT(t *testing.T) {
	for _, tt := range []struct {
		name     string
		cfg      h3.Config
		want0RTT bool
	}{
		{"default", h3.Config{}, true},
		{"disabled", h3.Config{Disable0RTT: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := devcert.New()
			if err != nil {
				t.Fatal(err)
			}
			pool, _ := devcert.Pool(cert)
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
				_, err := io.WriteString(w, "hello")
				return err
			})
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			serveOn(t, c, pc, cert, tt.cfg)
			addr := pc.LocalAddr().String()
			tlsConf := &tls.Config{RootCAs: pool, NextProtos: []string{http3.NextProtoH3},
				ClientSessionCache: tls.NewLRUClientSessionCache(1)}

			// A first connection, whose request round trip brings the
			// session ticket.
			tr := &http3.Transport{TLSClientConfig: tlsConf}
			resp, err := (&http.Client{Transport: tr, Timeout: wharftest.Patience}).Get("https://" + addr + "/hello")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			tr.Close()

			ctx, cancel := context.WithTimeout(t.Context(), wharftest.Patience)
			defer cancel()
			conn, err := quic.DialAddrEarly(ctx, addr, tlsConf, &quic.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseWithError(0, "")
			select {
			case <-conn.HandshakeComplete():
			case <-ctx.Done():
				t.Fatal("no handshake")
			}
			if got := conn.ConnectionState().Used0RTT; got != tt.want0RTT {
				t.Errorf("the resumed connection used 0-RTT: %v, want %v", got, tt.want0RTT)
			}
		})
	}
}

// A request that comes in 0-RTT data with a method that is not safe (RFC
// 9110 §9.2.1) waits for the handshake to complete, which a replay of the
// client's first flight never does (RFC 8470 §3), and its handler sees
// the handshake complete; a GET runs at once, before it. The client
// hears nothing from the server until both requests have reached the
// handler (the GET its handler), so that its handshake cannot complete
// before then: a POST run then was run from 0-RTT data alone.
func TestEarlyRequestWaitsForHandshake(t *testing.T) {
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := devcert.Pool(cert)
	type run struct {
		method      string
		complete    bool // the handshake, as the request's TLS state says
		afterListen bool // the client heard the server before it ran
	}
	var listening atomic.Bool
	runs := make(chan run, 2)
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/early", func(w api.Response, r *api.Request) error {
		st := r.TLS()
		runs <- run{r.Method(), st != nil && st.HandshakeComplete, listening.Load()}
		_, err := io.WriteString(w, "done")
		return err
	})
	counted := make(chan struct{}, 3)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, c, pc, cert, h3.WithHandlerHooks(h3.Config{}, nil, func() { counted <- struct{}{} }))
	addr := pc.LocalAddr().String()
	tlsConf := &tls.Config{RootCAs: pool, NextProtos: []string{http3.NextProtoH3}, ServerName: "localhost",
		ClientSessionCache: tls.NewLRUClientSessionCache(1)}

	// A first connection, whose request round trip brings the session
	// ticket.
	tr := &http3.Transport{TLSClientConfig: tlsConf}
	resp, err := (&http.Client{Transport: tr, Timeout: wharftest.Patience}).Get("https://" + addr + "/early")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	tr.Close()
	<-runs
	<-counted

	// quic-go warns once that a wrapped socket's buffers cannot be sized.
	t.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	dc := &deafConn{PacketConn: udp, listen: make(chan struct{})}
	qtr := &quic.Transport{Conn: dc}
	defer qtr.Close()
	defer dc.hear(&listening)
	ctx, cancel := context.WithTimeout(t.Context(), wharftest.Patience)
	defer cancel()
	conn, err := qtr.DialEarly(ctx, pc.LocalAddr(), tlsConf, &quic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseWithError(0, "")
	// Written by hand: quic-go's client sends nothing but a GET or a
	// HEAD before the handshake completes.
	var strs []*quic.Stream
	for _, method := range []string{"POST", "GET"} {
		str, err := conn.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		fields := [][2]string{{":method", method}, {":scheme", "https"}, {":authority", addr}, {":path", "/early"}}
		if method == "POST" {
			fields = append(fields, [2]string{"content-length", "4"})
		}
		req := appendHeaders(t, nil, fields)
		if method == "POST" {
			req = quicvarint.Append(req, 0x0) // DATA
			req = quicvarint.Append(req, 4)
			req = append(req, "sent"...)
		}
		if _, err := str.Write(req); err != nil {
			t.Fatal(err)
		}
		str.Close()
		strs = append(strs, str)
	}

	// Both requests reach the handler (quic-go took their TLS state
	// before), and the GET runs, before the client hears a word.
	for range 2 {
		select {
		case <-counted:
		case <-ctx.Done():
			t.Fatal("the requests sent as 0-RTT data did not reach the handler")
		}
	}
	got := map[string]run{}
	select {
	case r := <-runs:
		got[r.method] = r
	case <-ctx.Done():
		t.Fatal("no handler ran before the handshake completed: the GET sent as 0-RTT data waited")
	}
	select {
	case r := <-runs:
		got[r.method] = r
	default:
	}
	dc.hear(&listening)
	for _, str := range strs {
		b, err := io.ReadAll(str)
		if err != nil || !bytes.HasSuffix(b, []byte("done")) {
			t.Errorf("answer %q, %v; want one ending in done", b, err)
		}
	}
	for len(got) < 2 {
		r := <-runs
		got[r.method] = r
	}
	if !conn.ConnectionState().Used0RTT {
		t.Fatal("the resumed connection did not use 0-RTT: the test proves nothing")
	}
	if g := got["GET"]; g.complete || g.afterListen {
		t.Errorf("the GET sent as 0-RTT data ran with the handshake complete %v, after the client heard the server %v; want it run at once", g.complete, g.afterListen)
	}
	if p := got["POST"]; !p.complete || !p.afterListen {
		t.Errorf("the POST sent as 0-RTT data ran with the handshake complete %v, after the client heard the server %v; want it held until the handshake completed, which a replay never does", p.complete, p.afterListen)
	}
}

// deafConn sends as it is told, but reads nothing until hear: its
// client's handshake cannot complete before, and it sends all it writes
// as 0-RTT data.
type deafConn struct {
	net.PacketConn
	once   sync.Once
	listen chan struct{}
}

func (d *deafConn) ReadFrom(p []byte) (int, net.Addr, error) {
	<-d.listen
	return d.PacketConn.ReadFrom(p)
}

// hear lets reads through, and sets heard first.
func (d *deafConn) hear(heard *atomic.Bool) {
	d.once.Do(func() {
		heard.Store(true)
		close(d.listen)
	})
}
