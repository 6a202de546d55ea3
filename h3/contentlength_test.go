package h3_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"sync"
	"testing"

	"github.com/quic-go/qpack"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/quic-go/qlog"
	"github.com/quic-go/quic-go/qlogwriter"
	"github.com/quic-go/quic-go/quicvarint"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request whose HEADERS frame ends the stream, with no Content-Length
// field, has no body: Request.ContentLength says 0, as it does over
// HTTP/1.1 and HTTP/2 (net/http's rule for a server's request), not -1,
// which quic-go gives it. A handler that takes 0 for "no body" (examples/
// chat's form reader) refused it with 415.
func TestContentLengthNoBody(t *testing.T) {
	for _, tt := range []struct {
		name   string
		method string
		fields [][2]string // after the pseudo-header fields
		body   []byte      // sent in a DATA frame, with the FIN
		want   int64
	}{
		{"GET, no body", "GET", nil, nil, 0},
		{"POST, no body", "POST", nil, nil, 0},
		{"POST, declared", "POST", [][2]string{{"content-length", "3"}}, []byte("abc"), 3},
		{"POST, undeclared", "POST", nil, []byte("abc"), -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			type seen struct {
				length int64
				body   string
			}
			seens := make(chan seen, 1)
			c.HandleFunc("/length", func(w api.Response, r *api.Request) error {
				n := r.ContentLength()
				b, err := io.ReadAll(r.Body())
				seens <- seen{n, string(b)}
				return err
			})
			addr, cl := serveH3(t, c)
			pool := cl.Transport.(*http3.Transport).TLSClientConfig.RootCAs

			var req []byte
			fields := [][2]string{{":method", tt.method}, {":scheme", "https"}, {":authority", addr}, {":path", "/length"}}
			req = appendHeaders(t, req, append(fields, tt.fields...))
			if tt.body != nil {
				req = quicvarint.Append(req, 0x0) // DATA
				req = quicvarint.Append(req, uint64(len(tt.body)))
				req = append(req, tt.body...)
			}
			str := sendWhole(t, addr, pool, req)
			resp, err := io.ReadAll(str)
			select {
			case got := <-seens:
				// The body as sent: finding that it ended took none of it.
				if got.length != tt.want || got.body != string(tt.body) {
					t.Errorf("ContentLength() = %d, body %q; want %d, %q", got.length, got.body, tt.want, tt.body)
				}
			default:
				t.Errorf("the handler did not run: the answer was %q (%v)", resp, err)
			}
		})
	}
}

// appendHeaders appends a HEADERS frame of fields to b.
func appendHeaders(t *testing.T, b []byte, fields [][2]string) []byte {
	t.Helper()
	var block bytes.Buffer
	enc := qpack.NewEncoder(&block)
	for _, f := range fields {
		if err := enc.WriteField(qpack.HeaderField{Name: f[0], Value: f[1]}); err != nil {
			t.Fatal(err)
		}
	}
	b = quicvarint.Append(b, 0x1) // HEADERS
	b = quicvarint.Append(b, uint64(block.Len()))
	return append(b, block.Bytes()...)
}

// sendWhole opens a request stream to the HTTP/3 server at addr and
// writes req on it with the stream's FIN in the same STREAM frame, as a
// client that writes a request whole sends it: quic-go's client closes
// the stream after writing the request, and now and then its FIN goes in
// a packet of its own, which no server can tell from a body still to
// come. The client's connection is held from packing while the request
// is written and the stream closed: its packet-sent event waits.
func sendWhole(t *testing.T, addr string, pool *x509.CertPool, req []byte) *quic.Stream {
	t.Helper()
	h := &holdTrace{blocked: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
	t.Cleanup(cancel)
	conn, err := quic.DialAddr(ctx, addr, &tls.Config{RootCAs: pool, NextProtos: []string{http3.NextProtoH3}, ServerName: "localhost"},
		&quic.Config{Tracer: func(context.Context, bool, quic.ConnectionID) qlogwriter.Trace { return h }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseWithError(0, "") })
	if _, err := conn.AcceptUniStream(ctx); err != nil { // the server's control stream: it serves conn
		t.Fatal(err)
	}
	h.hold()
	control, err := conn.OpenUniStream()
	if err != nil {
		t.Fatal(err)
	}
	control.Write([]byte{0x0, 0x4, 0x0}) // a control stream, an empty SETTINGS frame: packed, then held
	select {
	case <-h.blocked:
	case <-ctx.Done():
		t.Fatal("the client sent no packet")
	}
	str, err := conn.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := str.Write(req); err != nil {
		t.Fatal(err)
	}
	str.Close()
	close(h.release)
	return str
}

// holdTrace is a client connection's qlog trace whose first packet-sent
// event after hold waits for release, holding the connection's run loop,
// which packs every packet.
type holdTrace struct {
	mu      sync.Mutex
	held    bool
	blocked chan struct{} // closed once the event waits
	release chan struct{}
}

func (h *holdTrace) hold() {
	h.mu.Lock()
	h.held = true
	h.mu.Unlock()
}

func (h *holdTrace) AddProducer() qlogwriter.Recorder { return h }

func (h *holdTrace) RecordEvent(e qlogwriter.Event) {
	if _, ok := e.(qlog.PacketSent); !ok {
		return
	}
	h.mu.Lock()
	held := h.held
	h.held = false
	h.mu.Unlock()
	if held {
		close(h.blocked)
		<-h.release
	}
}

func (h *holdTrace) Close() error { return nil }
