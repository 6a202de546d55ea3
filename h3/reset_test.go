package h3_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// resetClient is a QUIC connection to a server of /wait, whose handler
// returns as soon as its request's context ends (the handler rapid reset
// feeds on: each costs a start and little else), and /hello.
type resetClient struct {
	t      *testing.T
	addr   string
	cl     *http.Client // quic-go's client, on connections of its own
	conn   *quic.Conn
	ctx    context.Context
	starts chan struct{} // one for each /wait handler started
	ended  atomic.Int64  // /wait handlers returned
}

func newResetClient(t *testing.T) *resetClient {
	rc := &resetClient{t: t, starts: make(chan struct{}, 10*h3.ResetBurst)}
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		rc.starts <- struct{}{}
		defer rc.ended.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(wharftest.Patience):
		}
		return nil
	})
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	rc.addr, rc.cl = serveH3(t, c)
	pool := rc.cl.Transport.(*http3.Transport).TLSClientConfig.RootCAs
	ctx, cancel := context.WithTimeout(context.Background(), 2*wharftest.Patience)
	t.Cleanup(cancel)
	rc.ctx = ctx
	conn, err := quic.DialAddr(ctx, rc.addr, &tls.Config{RootCAs: pool, NextProtos: []string{http3.NextProtoH3}, ServerName: "localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseWithError(0, "") })
	rc.conn = conn
	return rc
}

// open opens a request stream for path, its HEADERS sent and the stream
// left open, or returns nil once the connection has ended.
func (rc *resetClient) open(path string) *quic.Stream {
	str, err := rc.conn.OpenStreamSync(rc.ctx)
	if err != nil {
		if rc.conn.Context().Err() == nil {
			rc.t.Fatal(err)
		}
		return nil
	}
	str.Write(appendHeaders(rc.t, nil, [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", rc.addr}, {":path", path}}))
	return str
}

// started waits for the next /wait handler to start, and reports false
// if the connection ended first.
func (rc *resetClient) started() bool {
	select {
	case <-rc.starts:
		return true
	case <-rc.conn.Context().Done():
		return false
	case <-rc.ctx.Done():
		rc.t.Fatal("no handler started")
		return false
	}
}

// reset stops and resets str, as quic-go's client does for a request
// cancelled.
func reset(str *quic.Stream) {
	str.CancelWrite(quic.StreamErrorCode(http3.ErrCodeRequestCanceled))
	str.CancelRead(quic.StreamErrorCode(http3.ErrCodeRequestCanceled))
}

// Streams a client stops before their response is complete (STOP_SENDING
// and RESET_STREAM: rapid reset, CVE-2023-44487, over QUIC) end the
// connection with H3_EXCESSIVE_LOAD past the bucket: h3.ResetBurst at
// once, then h3.ResetRate a second, as HTTP/2 bounds them
// (connector/http2's TestH2ResetRate). quic-go gives a stream's credit
// back as soon as both its directions end, so MaxStreams bounds only the
// handlers running: one connection started thousands of handlers in a
// few seconds, never cut off.
func TestResetRate(t *testing.T) {
	rc := newResetClient(t)
	start := time.Now()
	const streams = 10 * h3.ResetBurst
	n := 0
	for ; n < streams; n++ {
		str := rc.open("/wait")
		// A reset that comes before the server read the HEADERS starts
		// no handler: wait for this one's.
		if str == nil || !rc.started() {
			break
		}
		reset(str)
	}
	took := time.Since(start)
	select {
	case <-rc.conn.Context().Done():
	case <-time.After(wharftest.Patience):
		t.Fatalf("the connection still open after %d streams reset in %v", n, took)
	}
	var appErr *quic.ApplicationError
	if err := context.Cause(rc.conn.Context()); !errors.As(err, &appErr) || !appErr.Remote || appErr.ErrorCode != quic.ApplicationErrorCode(http3.ErrCodeExcessiveLoad) {
		t.Errorf("the connection ended with %v, want the server's H3_EXCESSIVE_LOAD", err)
	}
	t.Logf("%d handlers started in %v", n, took)
	if most := h3.ResetBurst + int(took.Seconds()*h3.ResetRate) + 10; n > most {
		t.Errorf("%d handlers started in %v, want at most %d", n, took, most)
	}
	// The server serves other connections.
	resp, err := rc.cl.Get("https://" + rc.addr + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// A client that stops every stream it may have open at once, as a browser
// does when its user leaves the page, twice over, keeps its connection:
// its next request is answered.
func TestResetBurstAllowed(t *testing.T) {
	rc := newResetClient(t)
	for round := 1; round <= 2; round++ {
		strs := make([]*quic.Stream, 0, h3.MaxStreams)
		for range h3.MaxStreams {
			str := rc.open("/wait")
			if str == nil || !rc.started() {
				t.Fatalf("round %d: the connection ended after %d streams", round, len(strs))
			}
			strs = append(strs, str)
		}
		for _, str := range strs {
			reset(str)
		}
		want := int64(round * h3.MaxStreams)
		wharftest.WaitFor(t, "the reset streams' handlers to return", func() bool { return rc.ended.Load() == want })
	}
	str := rc.open("/hello")
	if str == nil {
		t.Fatal("the connection ended")
	}
	str.Close()
	if b, err := io.ReadAll(str); err != nil || len(b) == 0 {
		t.Errorf("/hello after the resets: %q, %v", b, err)
	}
	if err := context.Cause(rc.conn.Context()); err != nil {
		t.Errorf("the connection ended: %v", err)
	}
}
