package connector_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TLS on the epoll connector: the selector watches the socket and crypto/tls
// runs only when bytes came. These tests use the connector directly
// (startTunServer with useTLS), so what they count is the connector's.

// tlsHandler answers /ok with "ok", parks /wait (suspended: nobody holds
// it until released), echoes /echo's body (read blocking) with its length,
// and sends /big a 1 MiB body.
type tlsHandler struct {
	mu     sync.Mutex
	parked []connector.Stream
}

var bigBody = bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB

func (h *tlsHandler) ServeStream(s connector.Stream) {
	switch s.Request().Path {
	case "/wait":
		h.mu.Lock()
		h.parked = append(h.parked, s)
		h.mu.Unlock()
		return
	case "/echo":
		b, err := io.ReadAll(s.Request().Body)
		if err != nil {
			s.Abort(err)
			return
		}
		answer(s, fmt.Sprintf("%d %x", len(b), checksum(b)))
	case "/big":
		s.WriteHead(200, "", http.Header{}, int64(len(bigBody)), nil)
		s.WriteBody(bigBody)
		s.Finish(nil)
	default:
		answer(s, "ok")
	}
}

func answer(s connector.Stream, body string) {
	s.WriteHead(200, "", http.Header{}, int64(len(body)), nil)
	s.WriteBody([]byte(body))
	s.Finish(nil)
}

func checksum(b []byte) (sum uint32) {
	for _, c := range b {
		sum = sum*31 + uint32(c)
	}
	return sum
}

// release answers every parked request.
func (h *tlsHandler) release() int {
	h.mu.Lock()
	parked := h.parked
	h.parked = nil
	h.mu.Unlock()
	for _, s := range parked {
		answer(s, "released")
	}
	return len(parked)
}

func (h *tlsHandler) waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.parked)
}

// get sends a GET for path on nc and checks the answer's body.
func get(t *testing.T, nc net.Conn, br *bufio.Reader, path, want string) {
	t.Helper()
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	expect(t, br, path, want)
}

// expect reads one response and checks its status and body.
func expect(t *testing.T, br *bufio.Reader, what, want string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || string(b) != want {
		t.Fatalf("%s: %d %q %v, want 200 %q", what, resp.StatusCode, b, err, want)
	}
}

// Idle keep-alive TLS connections and suspended TLS requests hold no
// goroutine: 150 of each add fewer than 40 (the executor's and the
// runtime's), not 300. Released, the suspended requests are answered, and
// every connection serves its next request.
func TestTLSConnectionsHoldNoGoroutine(t *testing.T) {
	const n = 150
	h := &tlsHandler{}
	ts := startTunServer(t, connector.Config{}, h, true)
	type client struct {
		nc net.Conn
		br *bufio.Reader
	}
	dial := func() client {
		nc := ts.dial(t)
		return client{nc, bufio.NewReader(nc)}
	}
	probe := dial() // what the server starts once
	get(t, probe.nc, probe.br, "/ok", "ok")
	probe.nc.Close()
	wharftest.WaitFor(t, "the probe to close", func() bool { return openConns(ts) == 0 })
	counted := func() int {
		ex := ts.exec.Stats()
		return runtime.NumGoroutine() - (ex.Workers - ex.Busy)
	}
	base := counted()

	idle := make([]client, n)
	for i := range idle {
		idle[i] = dial()
		get(t, idle[i].nc, idle[i].br, "/ok", "ok")
	}
	waiting := make([]client, n)
	for i := range waiting {
		waiting[i] = dial()
		fmt.Fprint(waiting[i].nc, "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	wharftest.WaitFor(t, "every /wait parked", func() bool { return h.waiting() == n })
	const allowed = 40
	held := counted() - base
	for deadline := time.Now().Add(wharftest.Patience); held >= allowed && time.Now().Before(deadline); held = counted() - base {
		time.Sleep(5 * time.Millisecond) // polling: handshake goroutines wind down
	}
	if held >= allowed {
		t.Fatalf("%d idle and %d suspended TLS connections hold %d goroutines", n, n, held)
	}
	t.Logf("%d idle and %d suspended TLS connections hold %d goroutines", n, n, held)
	if o := openConns(ts); o != 2*n {
		t.Errorf("Stats Open = %d, want %d", o, 2*n)
	}

	if r := h.release(); r != n {
		t.Fatalf("released %d, want %d", r, n)
	}
	for i, c := range waiting {
		expect(t, c.br, fmt.Sprintf("released /wait %d", i), "released")
		get(t, c.nc, c.br, "/ok", "ok")
	}
	for _, c := range idle {
		get(t, c.nc, c.br, "/ok", "ok")
	}
}

// splitConn writes every Write a byte at a time: the server's reads end in
// the middle of TLS records, which must wait for the rest, not fail.
type splitConn struct{ net.Conn }

func (s splitConn) Write(p []byte) (int, error) {
	for i := range p {
		if _, err := s.Conn.Write(p[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

// Requests over TLS as clients send them: pipelined in one record, split
// over many segments, with bodies larger than a record both ways.
func TestTLSPipelinedSplitAndLarge(t *testing.T) {
	h := &tlsHandler{}
	ts := startTunServer(t, connector.Config{}, h, true)
	t.Run("pipelined", func(t *testing.T) {
		nc := ts.dial(t)
		br := bufio.NewReader(nc)
		// One Write, one TLS record, three requests: the second and third
		// are in crypto/tls's buffer, not the socket, once the first is read.
		fmt.Fprint(nc, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
		expect(t, br, "first", "ok")
		expect(t, br, "second", fmt.Sprintf("5 %x", checksum([]byte("hello"))))
		expect(t, br, "third", "ok")
	})
	t.Run("split", func(t *testing.T) {
		raw := wharftest.Dial(t, ts.addr, 2*wharftest.Patience)
		nc := tls.Client(splitConn{raw}, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
		br := bufio.NewReader(nc)
		get(t, nc, br, "/ok", "ok")
		body := bytes.Repeat([]byte("x"), 3000)
		fmt.Fprintf(nc, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		expect(t, br, "split POST", fmt.Sprintf("%d %x", len(body), checksum(body)))
	})
	t.Run("large", func(t *testing.T) {
		nc := ts.dial(t)
		br := bufio.NewReader(nc)
		body := bytes.Repeat([]byte("wharf"), 300_000) // 1.5 MB: many records
		go fmt.Fprintf(nc, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		expect(t, br, "large POST", fmt.Sprintf("%d %x", len(body), checksum(body)))
		get(t, nc, br, "/big", string(bigBody))
		get(t, nc, br, "/ok", "ok")
	})
}

// heldConn passes writes through until hold is set, then keeps them for
// flush to send in one system call: what a client sent at once, the head
// and its body's records, arrives at once.
type heldConn struct {
	net.Conn
	hold bool
	held []byte
}

func (h *heldConn) Write(p []byte) (int, error) {
	if h.hold {
		h.held = append(h.held, p...)
		return len(p), nil
	}
	return h.Conn.Write(p)
}

func (h *heldConn) flush() error {
	h.hold = false
	_, err := h.Conn.Write(h.held)
	return err
}

// A NonBlocking body read over TLS: TryRead gives what crypto/tls has or
// api.ErrWouldBlock, and NotifyReadable calls back when more may come,
// including when the bytes are already inside crypto/tls rather than in
// the socket: there no edge of the socket will announce them. The reader
// reads as it comes, or asks NotifyReadable first (as async's
// SetReadListener does) with the whole body already read from the socket
// along with the head.
func TestTLSNonBlockingBodyRead(t *testing.T) {
	type result struct {
		body []byte
		err  error
	}
	for _, notifyFirst := range []bool{false, true} {
		t.Run(fmt.Sprint("notifyFirst=", notifyFirst), func(t *testing.T) {
			got := make(chan result, 1)
			var blocked atomic.Int32
			h := tunHandler(func(s connector.Stream) {
				nb, ok := s.Request().Body.(api.NonBlockingReader)
				if !ok {
					got <- result{err: errors.New("the body is no api.NonBlockingReader")}
					s.Abort(nil)
					return
				}
				var body []byte
				buf := make([]byte, 100) // smaller than a record: the rest stays in crypto/tls
				var step func()
				step = func() {
					for {
						n, err := nb.TryRead(buf)
						body = append(body, buf[:n]...)
						switch {
						case errors.Is(err, api.ErrWouldBlock):
							blocked.Add(1)
							nb.NotifyReadable(step)
							return
						case err == io.EOF:
							answer(s, fmt.Sprintf("%d %x", len(body), checksum(body)))
							got <- result{body: body}
							return
						case err != nil:
							got <- result{err: err}
							s.Abort(err)
							return
						}
					}
				}
				if notifyFirst {
					nb.NotifyReadable(step)
				} else {
					step()
				}
			})
			ts := startTunServer(t, connector.Config{}, h, true)
			raw := wharftest.Dial(t, ts.addr, 2*wharftest.Patience)
			held := &heldConn{Conn: raw}
			nc := tls.Client(held, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
			if err := nc.Handshake(); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(nc)
			const size = 50_000
			body := bytes.Repeat([]byte("0123456789"), size/10)
			head := fmt.Sprintf("POST /nb HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size)
			if notifyFirst {
				held.hold = true
				io.WriteString(nc, head) // a record of its own
				nc.Write(body)
				if err := held.flush(); err != nil {
					t.Fatal(err)
				}
			} else {
				io.WriteString(nc, head)
				// Pieces, each sent once the reader ran out and waits for it.
				wharftest.WaitFor(t, "the reader to wait", func() bool { return blocked.Load() > 0 })
				for i := 0; i < len(body); i += 7000 {
					waits := blocked.Load() // the reader waits: nothing changes it now
					nc.Write(body[i:min(i+7000, len(body))])
					if i+7000 < len(body) {
						wharftest.WaitFor(t, "the reader to wait again", func() bool { return blocked.Load() > waits })
					}
				}
			}
			var r result
			select {
			case r = <-got:
			case <-time.After(wharftest.Patience):
				t.Fatal("the reader never read the whole body: a callback never came")
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !bytes.Equal(r.body, body) {
				t.Fatalf("read %d bytes, want the %d sent", len(r.body), len(body))
			}
			expect(t, br, "NonBlocking POST", fmt.Sprintf("%d %x", len(body), checksum(body)))
			t.Logf("the reader waited %d times", blocked.Load())
		})
	}
}

// recordingConn keeps what it reads, to look at the TLS records after.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	got []byte
}

func (r *recordingConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.got = append(r.got, p[:n]...)
	r.mu.Unlock()
	return n, err
}

// lastRecordType is the content type of the last TLS record read.
func (r *recordingConn) lastRecordType() byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var typ byte
	for b := r.got; len(b) >= 5; {
		typ = b[0]
		b = b[min(len(b), 5+(int(b[3])<<8|int(b[4]))):]
	}
	return typ
}

// A connection that ends over TLS says so (close_notify, an alert record:
// visible on the wire under TLS 1.2) before its TCP connection ends, when
// its response ran to the connection's end and when it timed out idle; and
// curl reads such a response to its end.
func TestTLSCloseNotify(t *testing.T) {
	curl := wharftest.Tool(t, "curl", "apt-get install -y curl")
	h := tunHandler(func(s connector.Stream) {
		s.WriteHead(200, "", http.Header{}, -1, nil) // HTTP/1.0: to the connection's end
		for range 10 {
			s.WriteBody(bytes.Repeat([]byte("y"), 1000))
			s.Flush()
		}
		s.Finish(nil)
	})
	ts := startTunServer(t, connector.Config{IdleTimeout: 200 * time.Millisecond}, h, true)
	out, err := exec.Command(curl, "-sS", "-k", "--no-alpn", "--http1.0", "-o", "-", "https://"+ts.addr+"/stream").CombinedOutput()
	if err != nil || len(out) != 10_000 {
		t.Fatalf("curl: %v; %d bytes: %.200s", err, len(out), out)
	}
	const alert = 21
	for _, proto := range []string{"HTTP/1.0", "HTTP/1.1"} {
		t.Run(proto, func(t *testing.T) {
			raw := wharftest.Dial(t, ts.addr, 2*wharftest.Patience)
			rec := &recordingConn{Conn: raw}
			nc := tls.Client(rec, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
			fmt.Fprintf(nc, "GET /stream %s\r\nHost: x\r\n\r\n", proto)
			br := bufio.NewReader(nc)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := io.ReadAll(resp.Body); err != nil || len(b) != 10_000 {
				t.Fatalf("body: %d bytes, %v", len(b), err)
			}
			// HTTP/1.1: idle now, and ended after IdleTimeout.
			if n, err := br.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("the connection ended with %d bytes and %v, want io.EOF", n, err)
			}
			if typ := rec.lastRecordType(); typ != alert {
				t.Errorf("the last TLS record was of type %d, want an alert (%d): no close_notify", typ, alert)
			}
		})
	}
}

// Slowloris over TLS: clients that connect and say nothing, stop in the
// middle of their handshake, or send their head a byte at a time are all
// let go once ReadHeaderTimeout runs out (the dripping ones with a 408),
// while a well-behaved TLS client is served throughout. The silent ones
// hold no goroutine while they wait.
func TestTLSSlowloris(t *testing.T) {
	const each = 40
	h := &tlsHandler{}
	ts := startTunServer(t, connector.Config{ReadHeaderTimeout: 500 * time.Millisecond}, h, true)
	well := ts.dial(t)
	wellR := bufio.NewReader(well)
	get(t, well, wellR, "/ok", "ok")

	base := runtime.NumGoroutine()
	var silent, stalled, dripping []net.Conn
	for range each {
		nc := wharftest.Dial(t, ts.addr, 0)
		silent = append(silent, nc)
	}
	if held := runtime.NumGoroutine() - base; held >= each/2 {
		t.Errorf("%d silent TLS connections hold %d goroutines", each, held)
	}
	for range each {
		nc := wharftest.Dial(t, ts.addr, 0)
		// A handshake record's header promising 512 bytes, and 3 of them.
		nc.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01})
		stalled = append(stalled, nc)
	}
	for range each {
		dripping = append(dripping, ts.dial(t)) // handshake done
	}
	start := time.Now()
	head := "GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("s", 200)
	i := 0
	stop := wharftest.Drip(50*time.Millisecond, func() bool { // a byte per connection every 50 ms: the head never ends in time
		for _, nc := range dripping {
			nc.Write([]byte{head[i]})
		}
		i++
		return i < len(head)
	})
	defer stop()
	// Served throughout.
	for time.Since(start) < 300*time.Millisecond {
		get(t, well, wellR, "/ok", "ok")
	}
	ended := func(what string, conns []net.Conn, want408 bool) {
		t.Helper()
		for i, nc := range conns {
			nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
			b, err := io.ReadAll(nc)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("%s connection %d was not let go", what, i)
			}
			if want408 && !strings.HasPrefix(string(b), "HTTP/1.1 408") {
				t.Fatalf("%s connection %d got %q (%v), want a 408", what, i, b, err)
			}
		}
	}
	ended("silent", silent, false)
	ended("stalled", stalled, false)
	ended("dripping", dripping, true)
	if since := time.Since(start); since < 400*time.Millisecond {
		t.Errorf("slow clients let go after %v, before ReadHeaderTimeout", since)
	}
	get(t, well, wellR, "/ok", "ok")
	wharftest.WaitFor(t, "only the well-behaved connection open", func() bool { return openConns(ts) == 1 })
}

// Hijack over TLS on the epoll connector gives the tls.Conn, working, with
// the bytes the client sent behind the head.
func TestTLSHijack(t *testing.T) {
	done := make(chan error, 1)
	h := tunHandler(func(s connector.Stream) {
		nc, rw, err := s.Hijack()
		if err != nil {
			done <- err
			return
		}
		defer nc.Close()
		if _, ok := nc.(*tls.Conn); !ok {
			done <- fmt.Errorf("Hijack gave a %T, want a *tls.Conn", nc)
			return
		}
		fmt.Fprint(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		rw.Flush()
		line, err := rw.ReadString('\n')
		if err == nil {
			_, err = io.WriteString(nc, "echo: "+line)
		}
		done <- err
	})
	ts := startTunServer(t, connector.Config{}, h, true)
	nc := ts.dial(t)
	// The line comes in the same record as the head.
	fmt.Fprint(nc, "GET /x HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nbehind the head\n")
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	line, err := br.ReadString('\n')
	if err != nil || line != "echo: behind the head\n" {
		t.Fatalf("echo %q %v", line, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wharftest.WaitFor(t, "the hijacked connection to leave the books", func() bool { return openConns(ts) == 0 })
}

// A TLS record dripped a byte at a time after the handshake is a head
// begun, for ReadHeaderTimeout, though its bytes wait inside crypto/tls
// rather than in the connector's buffer: the connection is let go,
// however long the record would keep coming.
func TestTLSPartialRecordSlowloris(t *testing.T) {
	ts := startTunServer(t, connector.Config{IdleTimeout: 400 * time.Millisecond, ReadHeaderTimeout: 400 * time.Millisecond}, &tlsHandler{}, true)
	raw := wharftest.Dial(t, ts.addr, 0)
	if err := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}).Handshake(); err != nil {
		t.Fatal(err)
	}
	// An application_data record's header promising 16 KiB, then its
	// bytes one every 150 ms: every byte comes well within IdleTimeout.
	raw.Write([]byte{0x17, 0x03, 0x03, 0x40, 0x00})
	stop := wharftest.Drip(150*time.Millisecond, func() bool {
		_, err := raw.Write([]byte{0})
		return err == nil
	})
	defer stop()
	raw.SetReadDeadline(time.Now().Add(wharftest.Patience))
	if _, err := io.ReadAll(raw); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("a connection dripping one TLS record was not let go")
	}
	wharftest.WaitFor(t, "the connection to leave the books", func() bool { return openConns(ts) == 0 })
}

// Shutdown does not wait for a TLS handshake that stalled: it breaks it,
// as it closes a connection that waits for its first request.
func TestTLSShutdownBreaksHandshake(t *testing.T) {
	ts := startTunServer(t, connector.Config{ReadHeaderTimeout: time.Minute}, &tlsHandler{}, true)
	nc := wharftest.Dial(t, ts.addr, 0)
	// A handshake record's header promising 512 bytes, and 3 of them.
	nc.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01})
	wharftest.WaitFor(t, "the handshake to start", func() bool {
		st := ts.srv.Stats()
		return st.Open == 1 && st.Idle == 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a stalled handshake: %v", err)
	}
}

// A Shutdown that looks at the connections while a TLS connection is
// between the selector's claim and the start of its handshake finds it
// neither idle nor handshaking, and breaks nothing. The handshake, which
// starts after, must see the shutdown and close, rather than wait for a
// stalled client until ReadHeaderTimeout, past the Shutdown's patience (a
// failure of TestTLSShutdownBreaksHandshake under load came of this).
func TestTLSShutdownBeforeHandshakeStarts(t *testing.T) {
	srv := make(chan *connector.Server, 1)
	looked := make(chan struct{})
	shut := make(chan error, 1)
	cfg := connector.AfterShutdownLooks(connector.Config{ReadHeaderTimeout: time.Minute}, func() { close(looked) })
	cfg = connector.BeforeHandshake(cfg, func() {
		s := <-srv
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
			defer cancel()
			shut <- s.Shutdown(ctx)
		}()
		<-looked // Shutdown has looked at every connection, this one included
	})
	ts := startTunServer(t, cfg, &tlsHandler{}, true)
	srv <- ts.srv
	nc := wharftest.Dial(t, ts.addr, 0)
	// A handshake record's header promising 512 bytes, and 3 of them.
	nc.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01})
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown with a handshake that started after it looked: %v", err)
	}
}

// crypto/tls's reader may write (here an alert for a corrupt record) under
// the write lock that a parked response writer holds: a read listener over
// TLS runs off the selector, so the selector's other connections are
// served meanwhile, not after the writer's minute-long timeout.
func TestTLSAlertWhileWriterParked(t *testing.T) {
	h := tunHandler(func(s connector.Stream) {
		if s.Request().Path != "/duplex" {
			answer(s, "ok")
			return
		}
		go func() { // a response the client never reads
			s.WriteHead(200, "", http.Header{}, 64<<20, nil)
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for range 1024 {
				if s.WriteBody(chunk) != nil {
					break
				}
			}
			s.Abort(nil)
		}()
		nb := s.Request().Body.(api.NonBlockingReader)
		buf := make([]byte, 1000)
		var step func()
		step = func() {
			for {
				_, err := nb.TryRead(buf)
				if errors.Is(err, api.ErrWouldBlock) {
					nb.NotifyReadable(step)
					return
				}
				if err != nil {
					return
				}
			}
		}
		step()
	})
	ts := startTunServer(t, connector.Config{Selectors: 1, WriteTimeout: time.Minute, MinResponseDataRate: -1}, h, true)
	raw := wharftest.Dial(t, ts.addr, 0)
	raw.(*net.TCPConn).SetReadBuffer(4096)
	tc := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	fmt.Fprintf(tc, "POST /duplex HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc")
	wharftest.WaitFor(t, "the response writer to park", func() bool {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		return strings.Contains(stacks, "(*fdTLS).Write") && strings.Contains(stacks, "netpoll.(*Conn).park")
	})
	raw.Write(append([]byte{0x17, 0x03, 0x03, 0x00, 0x20}, make([]byte, 32)...)) // a record that fails to decrypt
	nc := ts.dial(t)
	get(t, nc, bufio.NewReader(nc), "/ok", "ok")
}
