package container_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// negativePause is how long a probe makes the server wait for the client
// mid-request: long enough that a read or write waits, so that a deadline
// put in the past by a negative timeout fails it.
const negativePause = 100 * time.Millisecond

// TestNegativeTimeoutsMeanNone sets each of connector.Config's timeouts
// negative, as a net/http user turns a timeout off, and checks on every
// mode that what it would bound is then served as with no timeout. Before,
// a negative timeout put deadlines in the past: HTTP/1.1 answered 408 to a
// head that came in two reads, closed keep-alive connections at once and
// discarded no unread body; every TLS handshake failed, and so did HTTP/2's
// preface, its socket writes and its idle connections; HTTP/3 failed every
// body read and response write that waited when no data rate was set, and
// quic-go gave up every handshake at -1 s. A negative DataRateGrace is
// none in the same sense, unbounded, so neither data rate applies: before,
// the rates applied with no waiting earned, and every read that waited
// failed with a 408 on every protocol.
func TestNegativeTimeoutsMeanNone(t *testing.T) {
	// -1 as net/http's users write it, and -1 s: quic-go halved the
	// first into a handshake timeout of zero, its default.
	const off = -time.Second
	all := connector.Config{
		ReadHeaderTimeout: -1, ReadTimeout: -1, ReadBodyTimeout: -1, WriteTimeout: -1,
		IdleTimeout: -1, DiscardTimeout: -1, DataRateGrace: -1,
	}
	tests := []struct {
		name   string
		cfg    connector.Config
		probes []negativeProbe
	}{
		{"ReadHeaderTimeout", connector.Config{ReadHeaderTimeout: off}, []negativeProbe{probeGet, probeSplitHead}},
		{"ReadTimeout", connector.Config{ReadTimeout: off}, []negativeProbe{probePausedBody}},
		{"ReadTimeout/no data rate", connector.Config{ReadTimeout: off, MinRequestDataRate: -1}, []negativeProbe{probePausedBody}},
		{"ReadBodyTimeout", connector.Config{ReadBodyTimeout: off}, []negativeProbe{probePausedBody}},
		{"WriteTimeout", connector.Config{WriteTimeout: off}, []negativeProbe{probeLargeResponse}},
		{"WriteTimeout/no data rate", connector.Config{WriteTimeout: off, MinResponseDataRate: -1}, []negativeProbe{probeLargeResponse}},
		{"IdleTimeout", connector.Config{IdleTimeout: off}, []negativeProbe{probeKeepAlive}},
		{"DiscardTimeout", connector.Config{DiscardTimeout: off}, []negativeProbe{probeDiscard}},
		// Rates no client on a loopback reaches without any grace.
		{"DataRateGrace", connector.Config{DataRateGrace: off, MinRequestDataRate: 1 << 30, MinResponseDataRate: 1 << 40}, []negativeProbe{probePausedBody, probeLargeResponse}},
		{"all", all, []negativeProbe{probeGet, probeSplitHead, probePausedBody, probeLargeResponse, probeKeepAlive, probeDiscard}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			modes.Run(t, buildNegative, func(t *testing.T, s *modes.Server) {
				if s.Mode == modes.NetHTTP {
					t.Skip("net/http's server, not connector.Config, times this mode")
				}
				for _, p := range tt.probes {
					p(t, s)
				}
			}, container.WithConnector(tt.cfg), container.WithLogger(wharftest.DiscardLogger()))
		})
	}
}

// negativeProbe sends what one timeout bounds, and fails t unless it is
// served as with no timeout.
type negativeProbe func(t *testing.T, s *modes.Server)

// negativeBig is /big's response: larger than what the sockets' buffers
// and QUIC's flow-control windows take at once, so that its writes wait.
var negativeBig = strings.Repeat("b", 8<<20)

func buildNegative(c *container.Container) {
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	c.HandleFunc("/read", func(w api.Response, r *api.Request) error {
		b, err := io.ReadAll(r.Body())
		if err != nil {
			return err
		}
		_, err = w.WriteString("read " + strconv.Itoa(len(b)))
		return err
	})
	c.HandleFunc("/big", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString(negativeBig)
		return err
	})
}

// negativeGet asks for path with the mode's client and wants 200 and body.
func negativeGet(t *testing.T, s *modes.Server, req *http.Request, body string) {
	t.Helper()
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || string(b) != body {
		t.Fatalf("%s %s: %d, %d bytes %.20q (%v); want 200, %d bytes %.20q", req.Method, req.URL.Path, resp.StatusCode, len(b), b, err, len(body), body)
	}
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// probeGet: a request at all (ReadHeaderTimeout also bounds the TLS
// handshake, and over HTTP/3 the QUIC handshake).
func probeGet(t *testing.T, s *modes.Server) {
	negativeGet(t, s, newRequest(t, "GET", s.URL+"/hello", nil), "hello")
}

// probeSplitHead: a head that comes in two pieces (HTTP/1.1 only: the
// other protocols' clients send a head whole).
func probeSplitHead(t *testing.T, s *modes.Server) {
	if !s.Mode.HTTP1() {
		return
	}
	nc := s.DialHTTP1(t)
	defer nc.Close()
	io.WriteString(nc, "GET /hello HTTP/1.1\r\nHost: a\r\n")
	time.Sleep(negativePause)
	io.WriteString(nc, "Connection: close\r\n\r\n")
	nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("a head in two pieces: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a head in two pieces: status %d, want 200", resp.StatusCode)
	}
}

// probePausedBody: a body whose second half comes after a pause.
func probePausedBody(t *testing.T, s *modes.Server) {
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("abc"))
		time.Sleep(negativePause)
		pw.Write([]byte("def"))
		pw.Close()
	}()
	defer pr.Close()
	req := newRequest(t, "POST", s.URL+"/read", pr)
	req.ContentLength = -1
	negativeGet(t, s, req, "read 6")
}

// probeLargeResponse: a response larger than the client takes at once.
func probeLargeResponse(t *testing.T, s *modes.Server) {
	negativeGet(t, s, newRequest(t, "GET", s.URL+"/big", nil), negativeBig)
}

// probeKeepAlive: a second request on the connection after a pause.
func probeKeepAlive(t *testing.T, s *modes.Server) {
	reused := make([]bool, 0, 2)
	for range 2 {
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = append(reused, info.Reused) },
		})
		req := newRequest(t, "GET", s.URL+"/hello", nil).WithContext(ctx)
		negativeGet(t, s, req, "hello")
		time.Sleep(negativePause)
	}
	if len(reused) != 2 || !reused[1] {
		t.Fatalf("connections reused %v: the second request came on a new connection, the first having been closed idle", reused)
	}
}

// probeDiscard: a body the handler does not read, whose rest comes after
// the answer and a pause, then a second request on the same connection
// (HTTP/1.1 only: DiscardTimeout bounds nothing on the others).
func probeDiscard(t *testing.T, s *modes.Server) {
	if !s.Mode.HTTP1() {
		return
	}
	nc := s.DialHTTP1(t)
	defer nc.Close()
	br := bufio.NewReader(nc)
	nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
	io.WriteString(nc, "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n"+strings.Repeat("x", 1000))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the answer to a body left unread: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	time.Sleep(negativePause)
	io.WriteString(nc, strings.Repeat("x", 1000)+"GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the next request, once the unread body came whole: %v (the body was not discarded)", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the next request: status %d, want 200", resp.StatusCode)
	}
}
