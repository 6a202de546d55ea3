package connector_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// serve starts a container with the test handlers on 127.0.0.1.
func serve(t *testing.T, cfg connector.Config) (string, *container.Container) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, cfg, l)
}

// serveOn is serve on a listener of the caller's.
func serveOn(t *testing.T, cfg connector.Config, l net.Listener) (string, *container.Container) {
	t.Helper()
	c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	c.HandleFunc("/host", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString(r.Host())
		return err
	})
	c.HandleFunc("/echo", func(w api.Response, r *api.Request) error {
		b, err := io.ReadAll(r.Body())
		if err != nil {
			return err
		}
		w.Header().Set("X-Trailer-Check", r.Trailer().Get("Check"))
		_, err = w.Write(b)
		return err
	})
	c.HandleFunc("/stream", func(w api.Response, r *api.Request) error {
		n, _ := strconv.Atoi(r.QueryValue("n"))
		for i := range n {
			fmt.Fprintf(w, "chunk%d;", i)
			if err := w.Flush(); err != nil {
				return err
			}
		}
		return nil
	})
	c.HandleFunc("/trailer", func(w api.Response, r *api.Request) error {
		w.Trailer().Set("X-Sum", "")
		w.WriteString("body")
		w.Flush()
		w.Trailer().Set("X-Sum", "42")
		return nil
	})
	c.HandleFunc("/big", func(w api.Response, r *api.Request) error {
		_, err := w.Write([]byte(strings.Repeat("x", 100000)))
		return err
	})
	c.HandleFunc("/mib", func(w api.Response, r *api.Request) error {
		_, err := w.Write(mib)
		return err
	})
	c.HandleFunc("/suspend", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			cont.SetTimeout(20 * time.Millisecond)
			return cont.Suspend()
		}
		_, err := w.WriteString("expired")
		return err
	})
	return wharftest.ListenOn(t, c, l), c
}

// mib is the 1 MiB body of /mib.
var mib = bytes.Repeat([]byte("0123456789abcdef"), 1<<16)

// listen serves c on a fresh 127.0.0.1 port until the test ends.
func listen(t *testing.T, c *container.Container) string { return wharftest.Listen(t, c) }

// serveServer runs srv on a fresh 127.0.0.1 port until the test ends
// (Close, then Serve's return) and returns its address: for a Server with
// a Handler or Config of the test's own.
func serveServer(t *testing.T, srv *connector.Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return l.Addr().String()
}

// getHello sends GET /hello on a keep-alive connection and reads the whole
// answer.
func getHello(nc net.Conn, br *bufio.Reader) error {
	if _, err := io.WriteString(nc, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// roundTrip is wharftest.RoundTrip.
var roundTrip = wharftest.RoundTrip

func TestHTTP11(t *testing.T) {
	eachConnector(t, connector.Config{MaxBodyBytes: 1000, MaxURILength: 100, MaxHeaderBytes: 2000}, testHTTP11)
}

// eachConnector runs f as a subtest on the epoll connector and on the
// portable one, with cfg.
func eachConnector(t *testing.T, cfg connector.Config, f func(t *testing.T, cfg connector.Config)) {
	for _, portable := range []bool{false, true} {
		name := "epoll"
		if portable {
			name = "portable"
		}
		t.Run(name, func(t *testing.T) {
			cfg := cfg
			cfg.Portable = portable
			f(t, cfg)
		})
	}
}

func testHTTP11(t *testing.T, cfg connector.Config) {
	addr, _ := serve(t, cfg)
	tests := []struct {
		name      string
		raw       string
		n         int
		codes     []int
		bodies    []string
		closed    bool
		checkHead func(t *testing.T, r []*http.Response)
	}{
		{name: "simple", raw: "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", n: 1, codes: []int{200}, bodies: []string{"hello"},
			checkHead: func(t *testing.T, r []*http.Response) {
				if r[0].ContentLength != 5 || r[0].Header.Get("Date") == "" {
					t.Errorf("want Content-Length 5 and a Date: %v", r[0].Header)
				}
			}},
		{name: "pipelined keep-alive", raw: "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
			n: 3, codes: []int{200, 200, 404}, bodies: []string{"hello", "hello", "404 Not Found\n"}},
		{name: "connection close", raw: "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", n: 1, codes: []int{200}, bodies: []string{"hello"}, closed: true},
		{name: "http/1.0 closes", raw: "GET /hello HTTP/1.0\r\n\r\n", n: 1, codes: []int{200}, bodies: []string{"hello"}, closed: true},
		{name: "http/1.0 keep-alive", raw: "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /hello HTTP/1.0\r\n\r\n", n: 2, codes: []int{200, 200}, bodies: []string{"hello", "hello"}, closed: true},
		{name: "content-length body", raw: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcdeGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
			n: 2, codes: []int{200, 200}, bodies: []string{"abcde", "hello"}},
		{name: "chunked body with trailer", raw: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nCheck: ok\r\n\r\n",
			n: 1, codes: []int{200}, bodies: []string{"abcde"},
			checkHead: func(t *testing.T, r []*http.Response) {
				if r[0].Header.Get("X-Trailer-Check") != "ok" {
					t.Errorf("request trailer not seen: %v", r[0].Header)
				}
			}},
		{name: "unread body discarded", raw: "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcdeGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
			n: 2, codes: []int{200, 200}, bodies: []string{"hello", "hello"}},
		{name: "unread chunked body discarded", raw: "POST /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
			n: 2, codes: []int{200, 200}, bodies: []string{"hello", "hello"}},
		// What follows the last chunk is the next request, however it
		// looks: here not one, so a 400 that closes.
		{name: "garbage after the last chunk", raw: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGARBAGE\r\n\r\n",
			n: 2, codes: []int{200, 400}, closed: true},
		{name: "body after the head, read by the handler", raw: "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabcGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
			n: 3, codes: []int{100, 200, 200}, bodies: []string{"", "abc", "hello"}},
		// io.ReadAll's first read takes 512 bytes of the 600 decoded: the
		// rest waits in the read buffer, behind framing already consumed.
		{name: "chunk larger than a read", raw: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + strings.Repeat("0123456789", 60) + "\r\n3\r\nxyz\r\n0\r\n\r\n",
			n: 1, codes: []int{200}, bodies: []string{strings.Repeat("0123456789", 60) + "xyz"}},
		{name: "chunked response", raw: "GET /stream?n=3 HTTP/1.1\r\nHost: x\r\n\r\n", n: 1, codes: []int{200}, bodies: []string{"chunk0;chunk1;chunk2;"},
			checkHead: func(t *testing.T, r []*http.Response) {
				if len(r[0].TransferEncoding) != 1 || r[0].TransferEncoding[0] != "chunked" {
					t.Errorf("not chunked: %v", r[0].TransferEncoding)
				}
			}},
		{name: "response trailer", raw: "GET /trailer HTTP/1.1\r\nHost: x\r\n\r\n", n: 1, codes: []int{200}, bodies: []string{"body"},
			checkHead: func(t *testing.T, r []*http.Response) {
				if r[0].Trailer.Get("X-Sum") != "42" {
					t.Errorf("trailer = %v", r[0].Trailer)
				}
			}},
		{name: "large body", raw: "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", n: 1, codes: []int{200}, bodies: []string{strings.Repeat("x", 100000)}},
		{name: "head", raw: "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n", n: 1, codes: []int{200}, bodies: []string{""},
			checkHead: func(t *testing.T, r []*http.Response) {
				if r[0].ContentLength != 5 {
					t.Errorf("HEAD Content-Length = %d, want 5", r[0].ContentLength)
				}
			}},
		{name: "suspended then expired", raw: "GET /suspend HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n", n: 2, codes: []int{200, 200}, bodies: []string{"expired", "hello"}},
		{name: "body too large", raw: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", n: 1, codes: []int{413}, closed: true},
		{name: "chunked body too large", raw: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + strings.Repeat("y", 2000) + "\r\n0\r\n\r\n", n: 1, codes: []int{413}, closed: true},
		{name: "uri too long", raw: "GET /" + strings.Repeat("a", 200) + " HTTP/1.1\r\nHost: x\r\n\r\n", n: 1, codes: []int{414}, closed: true},
		{name: "header too large", raw: "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 3000) + "\r\n\r\n", n: 1, codes: []int{431}, closed: true},
		{name: "malformed", raw: "GET /hello HTTP/1.1\r\nHost x\r\n\r\n", n: 1, codes: []int{400}, closed: true},
		{name: "smuggling CL+TE", raw: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", n: 1, codes: []int{400}, closed: true},
		{name: "missing host", raw: "GET /hello HTTP/1.1\r\n\r\n", n: 1, codes: []int{400}, closed: true},
		{name: "bad version", raw: "GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", n: 1, codes: []int{505}, closed: true},
		{name: "unknown expectation", raw: "GET /hello HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n", n: 1, codes: []int{417}, closed: true},
		{name: "forbidden trailer dropped", raw: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nCheck: ok\r\nContent-Length: 9\r\n\r\n",
			n: 1, codes: []int{200}, bodies: []string{"a"}},
		{name: "bad escape", raw: "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", n: 1, codes: []int{400}, closed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resps, bodies, closed := roundTrip(t, addr, tt.raw, tt.n)
			for i := range tt.n {
				if resps[i].StatusCode != tt.codes[i] {
					t.Errorf("response %d: status %d, want %d (%q)", i, resps[i].StatusCode, tt.codes[i], bodies[i])
				}
				if tt.bodies != nil && bodies[i] != tt.bodies[i] {
					t.Errorf("response %d: body %.60q, want %.60q", i, bodies[i], tt.bodies[i])
				}
			}
			if closed != tt.closed {
				t.Errorf("connection closed = %v, want %v", closed, tt.closed)
			}
			if tt.checkHead != nil {
				tt.checkHead(t, resps)
			}
		})
	}
}

func TestExpectContinue(t *testing.T) { eachConnector(t, connector.Config{}, testExpectContinue) }

func testExpectContinue(t *testing.T, cfg connector.Config) {
	addr, _ := serve(t, cfg)
	nc := wharftest.Dial(t, addr, 5*time.Second)
	io.WriteString(nc, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(nc)
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("interim response %q, %v", line, err)
	}
	br.ReadString('\n')
	io.WriteString(nc, "ping")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "ping" {
		t.Fatalf("body %q", b)
	}

	// Without content to invite (no Content-Length, not chunked), the
	// handler's read of the empty body sends no 100 (RFC 9110 §10.1.1):
	// the final response comes first, and the connection is kept.
	for i := range 2 {
		io.WriteString(nc, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("bodiless request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || len(b) != 0 || resp.Close {
			t.Fatalf("bodiless request %d: %d %q close=%v; want 200, no body, kept", i, resp.StatusCode, b, resp.Close)
		}
	}
}

func TestIdleAndHeaderTimeouts(t *testing.T) {
	eachConnector(t, connector.Config{IdleTimeout: 100 * time.Millisecond, ReadHeaderTimeout: 100 * time.Millisecond}, testIdleAndHeaderTimeouts)
}

func testIdleAndHeaderTimeouts(t *testing.T, cfg connector.Config) {
	addr, _ := serve(t, cfg)
	// An idle connection is closed silently.
	nc := wharftest.Dial(t, addr, 5*time.Second)
	if n, err := nc.Read(make([]byte, 1)); err != io.EOF || n != 0 {
		t.Fatalf("idle connection: read %d, %v; want EOF", n, err)
	}
	// A partial head gets 408, from a server whose idle timeout cannot
	// close the connection first should the head start late.
	cfg.IdleTimeout = time.Minute
	addr, _ = serve(t, cfg)
	nc2 := wharftest.Dial(t, addr, 5*time.Second)
	io.WriteString(nc2, "GET /hello HTTP/1.1\r\nHost:")
	resp, err := http.ReadResponse(bufio.NewReader(nc2), nil)
	if err != nil || resp.StatusCode != 408 {
		t.Fatalf("partial head: %v %v", resp, err)
	}
}

// A head that arrives a byte at a time is still parsed, and a pipelined
// second request behind it too.
func TestByteAtATime(t *testing.T) { eachConnector(t, connector.Config{}, testByteAtATime) }

func testByteAtATime(t *testing.T, cfg connector.Config) {
	addr, _ := serve(t, cfg)
	nc := wharftest.Dial(t, addr, 10*time.Second)
	raw := "GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 100) + "\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
	for i := range len(raw) {
		if _, err := nc.Write([]byte{raw[i]}); err != nil {
			t.Fatal(err)
		}
		if i%16 == 0 {
			time.Sleep(time.Millisecond) // let the server see partial heads
		}
	}
	br := bufio.NewReader(nc)
	for i := range 2 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != "hello" {
			t.Fatalf("response %d: %d %q", i, resp.StatusCode, b)
		}
	}
}

// A client that stops reading cannot hold a handler forever: the write
// timeout fails the write, the request ends and the connection closes.
func TestWriteTimeout(t *testing.T) {
	eachConnector(t, connector.Config{WriteTimeout: 100 * time.Millisecond}, testWriteTimeout)
}

func testWriteTimeout(t *testing.T, cfg connector.Config) {
	c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
	wrote := make(chan error, 1)
	c.HandleFunc("/flood", func(w api.Response, r *api.Request) error {
		chunk := make([]byte, 1<<20)
		for range 256 { // far more than the socket buffers hold
			if _, err := w.Write(chunk); err != nil {
				wrote <- err
				return err
			}
		}
		wrote <- nil
		return nil
	})
	addr := listen(t, c)
	nc := wharftest.Dial(t, addr, 0)
	io.WriteString(nc, "GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-wrote:
		if err == nil {
			t.Fatal("256 MiB written to a client that reads nothing")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("handler still blocked in Write")
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Stats().Active != 0 || c.Stats().Connections.Open != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after the write timeout: %+v", c.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Header names arrive in any case; the handler sees canonical keys, and
// repeated fields keep every value in order.
func TestHeaderFields(t *testing.T) {
	c := container.New()
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		h := r.Header()
		_, err := fmt.Fprintf(w, "%s|%s|%v|%s", h.Get("X-Lower"), h.Get("content-type"), h.Values("X-Multi"), r.Host())
		return err
	})
	addr := listen(t, c)
	_, bodies, _ := roundTrip(t, addr, "GET / HTTP/1.1\r\nhost: example.com\r\nx-lower: a\r\nContent-Type: text/x\r\nX-Multi: 1\r\nx-multi: 2\r\nX-MULTI: 3\r\n\r\n", 1)
	if want := "a|text/x|[1 2 3]|example.com"; bodies[0] != want {
		t.Fatalf("got %q, want %q", bodies[0], want)
	}
}

// streamFunc is a connector.Handler of a function.
type streamFunc func(connector.Stream)

func (f streamFunc) ServeStream(s connector.Stream) { f(s) }

// A CONNECT request's authority-form target is an authority, not a path
// (RFC 9112 §3.2.3): it reaches the handler with an empty Path, as HTTP/2
// gives it, whatever the host is. Read as a URL, "1.2.3.4:443" fails to
// parse and "example.com:443" is a scheme and an opaque part.
func TestConnectTarget(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		srv := &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
			r := s.Request()
			body := fmt.Sprintf("path=%q target=%s host=%s", r.Path, r.Target, r.Host)
			s.WriteHead(200, "", nil, int64(len(body)), nil)
			s.WriteBody([]byte(body))
			s.Finish(nil)
		})}
		addr := serveServer(t, srv)
		for _, authority := range []string{"example.com:443", "127.0.0.1:443", "[::1]:8443"} {
			t.Run(authority, func(t *testing.T) {
				raw := "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n"
				resps, bodies, _ := roundTrip(t, addr, raw, 1)
				want := fmt.Sprintf("path=%q target=%s host=%s", "", authority, authority)
				if resps[0].StatusCode != 200 || bodies[0] != want {
					t.Errorf("%d %q, want 200 %q", resps[0].StatusCode, bodies[0], want)
				}
			})
		}
	})
}
