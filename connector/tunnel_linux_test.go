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
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// tunUpgrade is the request every tunnel test sends, and tunSwitching the
// answer the handler writes on its Tunnel.
const (
	tunUpgrade   = "GET /tunnel HTTP/1.1\r\nHost: x\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"
	tunSwitching = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"
)

// tunHandler is a connector.Handler made of a function.
type tunHandler func(s connector.Stream)

func (h tunHandler) ServeStream(s connector.Stream) { h(s) }

// tunExecutor is the server's executor, counting what it is given to run.
type tunExecutor struct {
	*dispatcher.UnboundedExecutor
	calls atomic.Int64
}

func (e *tunExecutor) Execute(t dispatcher.Task) error {
	e.calls.Add(1)
	return e.UnboundedExecutor.Execute(t)
}

// tunServer is a connector.Server on 127.0.0.1 with an executor of the
// test's, closed when the test ends.
type tunServer struct {
	srv    *connector.Server
	addr   string
	exec   *tunExecutor
	served chan error // what Serve returned
	tls    bool
}

// startTunServer serves h with cfg until the test ends (Server.Close, then
// the executor's Close); with useTLS it serves TLS with a fresh certificate.
func startTunServer(t *testing.T, cfg connector.Config, h connector.Handler, useTLS bool) *tunServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	exec := &tunExecutor{UnboundedExecutor: dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{Logger: wharftest.DiscardLogger()})}
	cfg.Executor = exec
	if cfg.Logger == nil {
		cfg.Logger = wharftest.DiscardLogger()
	}
	if useTLS {
		cfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{mustCert(t, "localhost")}}
	}
	ts := &tunServer{srv: &connector.Server{Handler: h, Config: cfg}, addr: l.Addr().String(), exec: exec, served: make(chan error, 1), tls: useTLS}
	go func() {
		if useTLS {
			ts.served <- ts.srv.ServeTLS(l, "", "")
		} else {
			ts.served <- ts.srv.Serve(l)
		}
	}()
	t.Cleanup(func() {
		ts.srv.Close()
		select {
		case err := <-ts.served:
			if !errors.Is(err, connector.ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
			ts.served <- err // for a Cleanup registered later that looked already
		case <-time.After(wharftest.Patience):
			t.Errorf("Serve did not return after Close")
		}
		ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
		defer cancel()
		if err := exec.Close(ctx); err != nil {
			t.Errorf("closing the executor: %v (a task of the test is stuck)", err)
		}
	})
	return ts
}

// eachTunnelKind runs a Tunnel test over cleartext and over TLS.
func eachTunnelKind(t *testing.T, test func(t *testing.T, useTLS bool)) {
	for _, useTLS := range []bool{false, true} {
		name := "cleartext"
		if useTLS {
			name = "tls"
		}
		t.Run(name, func(t *testing.T) { test(t, useTLS) })
	}
}

// dial connects a client, with a deadline bounding the whole test.
func (ts *tunServer) dial(t *testing.T) net.Conn {
	t.Helper()
	return ts.dialWith(t, &net.Dialer{})
}

// dialNarrow is dial with the client's receive buffer fixed small before
// it connects, so that a test writing to a peer that reads nothing fills
// the window with megabytes, not with what the kernel's autotuning allows
// (tcp_rmem's maximum: 32 MiB on some machines, where a 32 MiB write
// still fitted and took seconds to encrypt under -race).
func (ts *tunServer) dialNarrow(t *testing.T) net.Conn {
	t.Helper()
	return ts.dialWith(t, &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, narrowWindow)
		})
		return err
	}})
}

// narrowWindow is dialNarrow's receive buffer, and bigWrite more than it
// and the server's send buffer (tcp_wmem's maximum, 4 MiB by default)
// hold together, twice over.
const (
	narrowWindow = 64 << 10
	bigWrite     = 8 << 20
)

func (ts *tunServer) dialWith(t *testing.T, d *net.Dialer) net.Conn {
	t.Helper()
	var nc net.Conn
	var err error
	d.Timeout = 2 * wharftest.Patience // the TLS handshake too
	if ts.tls {
		nc, err = tls.DialWithDialer(d, "tcp", ts.addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	} else {
		nc, err = d.Dial("tcp", ts.addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(2 * wharftest.Patience))
	return nc
}

// taken is what a handler got from Tunnel.
type taken struct {
	tun api.Tunnel
	err error
}

// takeTunnel is the handler that takes the connection over as a Tunnel,
// writes the 101 on it, and hands the Tunnel (or the failure) to got.
// The Tunnel is closed when the test ends, if the test has not.
func takeTunnel(t *testing.T, got chan<- taken) connector.Handler {
	return tunHandler(func(s connector.Stream) {
		tr, ok := s.(api.Tunneler)
		if !ok {
			got <- taken{err: fmt.Errorf("the stream %T is no api.Tunneler", s)}
			s.Abort(nil)
			return
		}
		tun, err := tr.Tunnel()
		if err != nil {
			got <- taken{err: fmt.Errorf("Tunnel: %w", err)}
			s.Abort(nil)
			return
		}
		t.Cleanup(func() { tun.Close() })
		if n, err := tun.WriteNow([]byte(tunSwitching)); n != len(tunSwitching) || err != nil {
			tun.Close()
			got <- taken{err: fmt.Errorf("writing the 101 on the Tunnel took %d of %d bytes: %v", n, len(tunSwitching), err)}
			return
		}
		got <- taken{tun: tun}
	})
}

// receive waits for what the handler took.
func receive(t *testing.T, got <-chan taken) api.Tunnel {
	t.Helper()
	select {
	case tk := <-got:
		if tk.err != nil {
			t.Fatal(tk.err)
		}
		return tk.tun
	case <-time.After(wharftest.Patience):
		t.Fatal("the handler did not take a Tunnel")
	}
	return nil
}

// readSwitching reads the 101 head from br.
func readSwitching(t *testing.T, br *bufio.Reader) {
	t.Helper()
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the 101 head (%q so far): %v", head.String(), err)
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	if head.String() != tunSwitching {
		t.Fatalf("head = %q, want %q", head.String(), tunSwitching)
	}
}

// writeAll writes p on tun, waiting for NotifyWritable where the socket
// takes no more; it may block, so it runs on the executor, never in a
// callback.
func writeAll(tun api.Tunnel, p []byte) error {
	for len(p) > 0 {
		n, err := tun.WriteNow(p)
		if err != nil {
			return err
		}
		if n < 0 || n > len(p) {
			return fmt.Errorf("WriteNow reported %d of %d bytes", n, len(p))
		}
		p = p[n:]
		if len(p) == 0 {
			break
		}
		ready := make(chan struct{})
		tun.NotifyWritable(func() { close(ready) }, wharftest.Patience)
		select {
		case <-ready:
		case <-time.After(2 * wharftest.Patience):
			return errors.New("NotifyWritable never called back")
		}
	}
	return nil
}

// echo sends back what its Tunnel reads, driven by NotifyReadable: the
// callback only hands the next round to the executor (Execute).
type echo struct {
	tun  api.Tunnel
	buf  []byte
	done chan error // the error that ended the echo (io.EOF for the peer's end)
}

func newEcho(tun api.Tunnel) *echo {
	return &echo{tun: tun, buf: make([]byte, 4096), done: make(chan error, 1)}
}

func (e *echo) run() {
	for {
		n, err := e.tun.TryRead(e.buf)
		if n > 0 {
			if werr := writeAll(e.tun, e.buf[:n]); werr != nil {
				e.done <- werr
				return
			}
		}
		switch {
		case err == nil:
			if n == 0 {
				e.done <- errors.New("TryRead returned 0 bytes and no error")
				return
			}
		case errors.Is(err, api.ErrWouldBlock):
			if n != 0 {
				e.done <- fmt.Errorf("TryRead returned %d bytes with ErrWouldBlock", n)
				return
			}
			e.tun.NotifyReadable(func() { e.tun.Execute(e.run) })
			return
		default:
			e.done <- err
			return
		}
	}
}

// pattern returns n bytes that show where a misplaced piece came from.
func pattern(tag string, n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%s%d;", tag, i)
	}
	return b.Bytes()[:n]
}

// sendAsync writes p on nc from a goroutine of its own (the peer echoes
// while it is written) and returns the write's outcome.
func sendAsync(nc net.Conn, p []byte) <-chan error {
	ch := make(chan error, 1)
	go func() {
		_, err := nc.Write(p)
		ch <- err
	}()
	return ch
}

// readEcho reads len(want) bytes from br and compares them.
func readEcho(t *testing.T, br *bufio.Reader, what string, want []byte) {
	t.Helper()
	got := make([]byte, len(want))
	if n, err := io.ReadFull(br, got); err != nil {
		t.Fatalf("reading back %s: %d of %d bytes, %v", what, n, len(want), err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s came back different from byte %d: got %q…, want %q…", what, i, abbrev(got[i:]), abbrev(want[i:]))
	}
}

func abbrev(b []byte) []byte { return b[:min(len(b), 40)] }

// openConns is the server's count of open connections.
func openConns(ts *tunServer) int { return ts.srv.Stats().Open }

// The epoll connector's Tunnel echoes: the bytes the client pipelined
// right behind the request head come back first, then what it writes
// later, small and large (the echo's writes then wait for NotifyWritable).
// The tunneled connection counts as open until it closes, callbacks run
// its work through the server's executor, and its Close reaches the
// client.
func TestTunnelEcho(t *testing.T) { eachTunnelKind(t, testTunnelEcho) }

func testTunnelEcho(t *testing.T, useTLS bool) {
	tests := []struct {
		name      string
		pipelined []byte   // sent in the same write as the head
		later     [][]byte // each a write of its own, read back before the next
	}{
		{name: "nothing pipelined", later: [][]byte{[]byte("a"), []byte("hello, tunnel")}},
		{name: "small pipelined", pipelined: []byte("pipelined:hello;"), later: [][]byte{[]byte("b"), []byte("more bytes"), pattern("m", 64<<10)}},
		{name: "pipelined past the read buffer", pipelined: pattern("p", 200<<10), later: [][]byte{[]byte("after"), pattern("big", 2<<20)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan taken, 1)
			ts := startTunServer(t, connector.Config{Portable: false}, takeTunnel(t, got), useTLS)
			nc := ts.dial(t)
			br := bufio.NewReader(nc)

			first := sendAsync(nc, append([]byte(tunUpgrade), tt.pipelined...))
			tun := receive(t, got)
			readSwitching(t, br)
			e := newEcho(tun)
			tun.Execute(e.run)
			readEcho(t, br, "the pipelined bytes", tt.pipelined)
			if err := <-first; err != nil {
				t.Fatal(err)
			}
			if st := ts.srv.Stats(); st.Open != 1 || st.Idle != 0 {
				t.Errorf("with the tunnel open: Stats Open = %d, Idle = %d; want 1, 0", st.Open, st.Idle)
			}
			for i, p := range tt.later {
				sent := sendAsync(nc, p)
				readEcho(t, br, fmt.Sprintf("write %d (%d bytes)", i, len(p)), p)
				if err := <-sent; err != nil {
					t.Fatal(err)
				}
				if n := openConns(ts); n != 1 {
					t.Errorf("after write %d: Stats Open = %d, want 1", i, n)
				}
			}
			select {
			case err := <-e.done:
				t.Fatalf("the echo ended early: %v", err)
			default:
			}

			// Execute runs on the server's executor.
			before := ts.exec.calls.Load()
			ran := make(chan struct{})
			tun.Execute(func() { close(ran) })
			select {
			case <-ran:
			case <-time.After(wharftest.Patience):
				t.Fatal("a task given to Execute never ran")
			}
			if ts.exec.calls.Load() == before {
				t.Error("Execute did not go through the server's executor")
			}

			if err := tun.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := tun.Close(); err != nil {
				t.Errorf("a second Close: %v", err)
			}
			if n, err := br.Read(make([]byte, 1)); err != io.EOF {
				t.Errorf("the client read %d bytes, %v after the Tunnel closed; want io.EOF", n, err)
			}
			wharftest.WaitFor(t, "the closed tunnel to leave the server's books", func() bool { return openConns(ts) == 0 })
		})
	}
}

// Where a connection cannot become a Tunnel (the portable connector)
// Tunnel says api.ErrNotSupported and takes nothing: Hijack works after
// it, and the bytes pipelined behind the head are still there to read.
func TestTunnelNotSupported(t *testing.T) {
	const extra = "pipelined-after-head"
	tests := []struct {
		name   string
		cfg    connector.Config
		useTLS bool
	}{
		{name: "portable", cfg: connector.Config{Portable: true}},
		{name: "portable over TLS", cfg: connector.Config{Portable: true}, useTLS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tunErr, hijackErr := make(chan error, 1), make(chan error, 1)
			h := tunHandler(func(s connector.Stream) {
				tr, ok := s.(api.Tunneler)
				if !ok {
					tunErr <- fmt.Errorf("the stream %T is no api.Tunneler", s)
				} else {
					tun, err := tr.Tunnel()
					if tun != nil {
						tun.Close()
						err = fmt.Errorf("Tunnel returned a Tunnel (and %v)", err)
					}
					tunErr <- err
				}
				nc, brw, err := s.Hijack()
				hijackErr <- err
				if err != nil {
					s.Abort(err)
					return
				}
				defer nc.Close()
				rest := make([]byte, len(extra))
				if _, err := io.ReadFull(brw, rest); err != nil {
					return
				}
				fmt.Fprintf(brw, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(rest), rest)
				brw.Flush()
			})
			ts := startTunServer(t, tt.cfg, h, tt.useTLS)
			nc := ts.dial(t)
			if _, err := io.WriteString(nc, tunUpgrade+extra); err != nil {
				t.Fatal(err)
			}
			if err := <-tunErr; !errors.Is(err, api.ErrNotSupported) {
				t.Errorf("Tunnel: %v, want api.ErrNotSupported", err)
			}
			if err := <-hijackErr; err != nil {
				t.Fatalf("Hijack after the refused Tunnel: %v", err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || string(body) != extra {
				t.Errorf("the hijacker answered %d %q; want 200 %q (the pipelined bytes)", resp.StatusCode, body, extra)
			}
		})
	}
}

// Tunnel obeys Hijack's rules: after the head is written it says
// api.ErrCommitted and takes nothing (the response goes on, and so does
// the connection); once the connection is taken over, Tunnel and Hijack
// say api.ErrHijacked.
func TestTunnelAfterCommitOrTakeover(t *testing.T) {
	eachTunnelKind(t, testTunnelAfterCommitOrTakeover)
}

func testTunnelAfterCommitOrTakeover(t *testing.T, useTLS bool) {
	type result struct{ first, second error }
	tests := []struct {
		name  string
		serve func(s connector.Stream) result
		want  result
		after func(t *testing.T, nc net.Conn, br *bufio.Reader)
	}{
		{
			name: "Tunnel after WriteHead",
			serve: func(s connector.Stream) result {
				s.WriteHead(200, "", http.Header{}, 2, nil)
				_, err := s.(api.Tunneler).Tunnel()
				s.WriteBody([]byte("ok"))
				s.Finish(nil)
				return result{first: err}
			},
			want:  result{first: api.ErrCommitted},
			after: expectOKThenKeepAlive,
		},
		{
			name: "Tunnel after a flushed head",
			serve: func(s connector.Stream) result {
				s.WriteHead(200, "", http.Header{}, 2, nil)
				s.Flush()
				_, err := s.(api.Tunneler).Tunnel()
				s.WriteBody([]byte("ok"))
				s.Finish(nil)
				return result{first: err}
			},
			want:  result{first: api.ErrCommitted},
			after: expectOKThenKeepAlive,
		},
		{
			name: "a second Tunnel, then Hijack",
			serve: func(s connector.Stream) result {
				tun, err := s.(api.Tunneler).Tunnel()
				if err != nil {
					s.Abort(err)
					return result{first: fmt.Errorf("the first Tunnel: %w", err)}
				}
				defer tun.Close()
				again, err2 := s.(api.Tunneler).Tunnel()
				if again != nil {
					again.Close()
				}
				_, _, err3 := s.Hijack()
				writeAll(tun, []byte(tunSwitching))
				return result{first: err2, second: err3}
			},
			want:  result{first: api.ErrHijacked, second: api.ErrHijacked},
			after: expectSwitchingThenEOF,
		},
		{
			name: "Tunnel after Hijack",
			serve: func(s connector.Stream) result {
				nc, brw, err := s.Hijack()
				if err != nil {
					s.Abort(err)
					return result{first: fmt.Errorf("Hijack: %w", err)}
				}
				defer nc.Close()
				tun, err := s.(api.Tunneler).Tunnel()
				if tun != nil {
					tun.Close()
				}
				brw.WriteString(tunSwitching)
				brw.Flush()
				return result{first: err}
			},
			want:  result{first: api.ErrHijacked},
			after: expectSwitchingThenEOF,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := make(chan result, 4)
			h := tunHandler(func(s connector.Stream) {
				if s.Request().Path != "/tunnel" {
					s.WriteHead(200, "", http.Header{}, 5, nil)
					s.WriteBody([]byte("hello"))
					s.Finish(nil)
					return
				}
				results <- tt.serve(s)
			})
			ts := startTunServer(t, connector.Config{}, h, useTLS)
			nc := ts.dial(t)
			if _, err := io.WriteString(nc, tunUpgrade); err != nil {
				t.Fatal(err)
			}
			var r result
			select {
			case r = <-results:
			case <-time.After(wharftest.Patience):
				t.Fatal("the handler did not run")
			}
			if !errors.Is(r.first, tt.want.first) || !errors.Is(r.second, tt.want.second) {
				t.Errorf("got %v, %v; want %v, %v", r.first, r.second, tt.want.first, tt.want.second)
			}
			tt.after(t, nc, bufio.NewReader(nc))
		})
	}
}

// expectOKThenKeepAlive reads the 200 "ok" the handler finished with, then
// checks the connection serves another request.
func expectOKThenKeepAlive(t *testing.T, nc net.Conn, br *bufio.Reader) {
	t.Helper()
	for i, want := range []string{"ok", "hello"} {
		if i > 0 {
			if _, err := io.WriteString(nc, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 || string(body) != want {
			t.Fatalf("response %d: %d %q, %v; want 200 %q", i, resp.StatusCode, body, err, want)
		}
	}
}

// expectSwitchingThenEOF reads the 101 written on the taken connection
// and then its end.
func expectSwitchingThenEOF(t *testing.T, _ net.Conn, br *bufio.Reader) {
	t.Helper()
	readSwitching(t, br)
	if n, err := br.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after the 101: %d bytes, %v; want io.EOF", n, err)
	}
}

// Shutdown waits for an open Tunnel, which keeps working meanwhile, and
// returns nil once it closes: closed by the server's side, or after the
// peer hung up (its NotifyReadable fires, TryRead says io.EOF).
func TestTunnelShutdownWaits(t *testing.T) { eachTunnelKind(t, testTunnelShutdownWaits) }

func testTunnelShutdownWaits(t *testing.T, useTLS bool) {
	tests := []struct {
		name string
		end  func(t *testing.T, tun api.Tunnel, nc net.Conn)
	}{
		{
			name: "the handler closes",
			end: func(t *testing.T, tun api.Tunnel, _ net.Conn) {
				if err := tun.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			},
		},
		{
			name: "the peer hangs up",
			end: func(t *testing.T, tun api.Tunnel, nc net.Conn) {
				e := newEcho(tun)
				tun.Execute(e.run)
				nc.Close()
				select {
				case err := <-e.done:
					if err != io.EOF {
						t.Errorf("the echo ended with %v, want io.EOF", err)
					}
				case <-time.After(wharftest.Patience):
					t.Error("the peer's hang-up never reached the Tunnel")
				}
				tun.Close()
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan taken, 1)
			ts := startTunServer(t, connector.Config{}, takeTunnel(t, got), useTLS)
			nc := ts.dial(t)
			br := bufio.NewReader(nc)
			if _, err := io.WriteString(nc, tunUpgrade); err != nil {
				t.Fatal(err)
			}
			tun := receive(t, got)
			readSwitching(t, br)

			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 2*wharftest.Patience)
				defer cancel()
				shut <- ts.srv.Shutdown(ctx)
			}()
			select {
			case err := <-shut:
				t.Fatalf("Shutdown returned %v with a Tunnel open", err)
			case <-time.After(100 * time.Millisecond):
			}
			if n := openConns(ts); n != 1 {
				t.Errorf("during Shutdown: Stats Open = %d, want 1", n)
			}
			// The tunnel still works while Shutdown waits.
			if err := writeAll(tun, []byte("still here")); err != nil {
				t.Fatalf("writing during Shutdown: %v", err)
			}
			readEcho(t, br, "a write during Shutdown", []byte("still here"))
			select {
			case err := <-shut:
				t.Fatalf("Shutdown returned %v with a Tunnel open", err)
			default:
			}

			tt.end(t, tun, nc)
			select {
			case err := <-shut:
				if err != nil {
					t.Errorf("Shutdown: %v, want nil", err)
				}
			case <-time.After(wharftest.Patience):
				t.Fatal("Shutdown did not return after the Tunnel closed")
			}
			select {
			case err := <-ts.served:
				if !errors.Is(err, connector.ErrServerClosed) {
					t.Errorf("Serve returned %v", err)
				}
				ts.served <- err
			case <-time.After(wharftest.Patience):
				t.Fatal("Serve did not return after Shutdown")
			}
		})
	}
}

// Server.Close breaks an open Tunnel: the NotifyReadable waiting on it is
// called, and TryRead then fails or says io.EOF, not ErrWouldBlock. Each
// round is a fresh server, as the callback races the selectors' stop.
func TestTunnelServerCloseBreaks(t *testing.T) { eachTunnelKind(t, testTunnelServerCloseBreaks) }

func testTunnelServerCloseBreaks(t *testing.T, useTLS bool) {
	for round := range 10 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			got := make(chan taken, 1)
			ts := startTunServer(t, connector.Config{}, takeTunnel(t, got), useTLS)
			nc := ts.dial(t)
			br := bufio.NewReader(nc)
			if _, err := io.WriteString(nc, tunUpgrade); err != nil {
				t.Fatal(err)
			}
			tun := receive(t, got)
			readSwitching(t, br)

			buf := make([]byte, 64)
			for i := 0; ; i++ {
				n, err := tun.TryRead(buf)
				if errors.Is(err, api.ErrWouldBlock) {
					break
				}
				if i > 10 {
					t.Fatalf("TryRead with nothing sent: %d bytes, %v", n, err)
				}
			}
			fired := make(chan struct{}, 1)
			var calls atomic.Int32
			notify := func() {
				tun.NotifyReadable(func() {
					calls.Add(1)
					fired <- struct{}{}
				})
			}
			notify()
			// NotifyReadable promises a call when TryRead may make progress,
			// not that it will: an edge the selector handles after the reads
			// above took its bytes may call back once with nothing there. Then
			// TryRead still finds nothing, and the wait it arms again holds.
			// 100 ms of quiet ends the watch: an edge later than that, on a
			// loaded machine, would be taken for Server.Close's call back.
			for spurious := 0; ; spurious++ {
				select {
				case <-fired:
					if spurious > 0 {
						t.Fatal("NotifyReadable called back again with nothing to read")
					}
					if n, err := tun.TryRead(buf); !errors.Is(err, api.ErrWouldBlock) {
						t.Fatalf("TryRead after a call back with nothing sent: %d bytes, %v", n, err)
					}
					notify()
					continue
				case <-time.After(100 * time.Millisecond):
				}
				break
			}

			before := calls.Load()
			ts.srv.Close()
			select {
			case <-fired:
			case <-time.After(wharftest.Patience):
				t.Fatal("Server.Close did not call the waiting NotifyReadable back")
			}
			n, err := tun.TryRead(buf)
			if err == nil || errors.Is(err, api.ErrWouldBlock) {
				t.Errorf("TryRead after Server.Close: %d bytes, %v; want an error or io.EOF", n, err)
			}
			if err := tun.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if _, err := br.Read(make([]byte, 1)); err == nil {
				t.Error("the client read a byte after Server.Close")
			}
			if c := calls.Load() - before; c != 1 {
				t.Errorf("NotifyReadable called back %d times for Server.Close", c)
			}
		})
	}
}

// Close races a writer, a reader and a client writing: nothing panics or
// races, the writer's next WriteNow fails with net.ErrClosed, later reads
// and writes too, and the descriptor closes (the client sees the end).
func TestTunnelCloseRacesWrites(t *testing.T) { eachTunnelKind(t, testTunnelCloseRacesWrites) }

func testTunnelCloseRacesWrites(t *testing.T, useTLS bool) {
	got := make(chan taken, 1)
	ts := startTunServer(t, connector.Config{}, takeTunnel(t, got), useTLS)
	for round := range 20 {
		nc := ts.dial(t)
		if _, err := io.WriteString(nc, tunUpgrade); err != nil {
			t.Fatal(err)
		}
		tun := receive(t, got)

		drained := make(chan error, 1)
		go func() { // the client drains the Tunnel's writes, the 101 first
			_, err := io.Copy(io.Discard, nc)
			drained <- err
		}()
		clientDone := make(chan struct{})
		go func() { // and keeps writing, for the reader
			defer close(clientDone)
			p := []byte("client bytes;")
			for {
				if _, err := nc.Write(p); err != nil {
					return
				}
			}
		}()

		closed := make(chan struct{})
		wrote := make(chan struct{})
		writerErr, readerErr := make(chan error, 1), make(chan error, 1)
		go func() {
			p := bytes.Repeat([]byte("w"), 16<<10)
			for i := 0; ; i++ {
				n, err := tun.WriteNow(p)
				if err != nil {
					writerErr <- err
					return
				}
				if i == 0 {
					close(wrote)
				}
				if n == 0 {
					ready := make(chan struct{})
					tun.NotifyWritable(func() { close(ready) }, 0)
					select {
					case <-ready:
					case <-time.After(wharftest.Patience):
						writerErr <- errors.New("NotifyWritable never called back")
						return
					}
				}
			}
		}()
		go func() {
			buf := make([]byte, 4096)
			for {
				_, err := tun.TryRead(buf)
				switch {
				case err == nil:
				case errors.Is(err, api.ErrWouldBlock):
					ready := make(chan struct{})
					tun.NotifyReadable(func() { close(ready) })
					select {
					case <-ready:
					case <-closed: // a callback waiting at Close may never come
					}
				default:
					readerErr <- err
					return
				}
			}
		}()

		select {
		case <-wrote:
		case err := <-writerErr:
			t.Fatalf("round %d: the first WriteNow failed: %v", round, err)
		case <-time.After(wharftest.Patience):
			t.Fatalf("round %d: no WriteNow returned", round)
		}
		if err := tun.Close(); err != nil {
			t.Errorf("round %d: Close: %v", round, err)
		}
		close(closed)
		for _, w := range []struct {
			who string
			ch  chan error
		}{{"writer", writerErr}, {"reader", readerErr}} {
			select {
			case err := <-w.ch:
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("round %d: the %s stopped with %v, want net.ErrClosed", round, w.who, err)
				}
			case <-time.After(wharftest.Patience):
				t.Fatalf("round %d: the %s did not stop after Close", round, w.who)
			}
		}
		if n, err := tun.WriteNow([]byte("x")); n != 0 || !errors.Is(err, net.ErrClosed) {
			t.Errorf("round %d: WriteNow after Close: %d, %v; want 0, net.ErrClosed", round, n, err)
		}
		if n, err := tun.TryRead(make([]byte, 1)); n != 0 || !errors.Is(err, net.ErrClosed) {
			t.Errorf("round %d: TryRead after Close: %d, %v; want 0, net.ErrClosed", round, n, err)
		}
		// Asking for readiness after Close neither panics nor blocks
		// (whether it calls back is not said).
		tun.NotifyReadable(func() {})
		tun.NotifyWritable(func() {}, 0)
		if err := tun.Close(); err != nil {
			t.Errorf("round %d: a second Close: %v", round, err)
		}
		select {
		case <-drained:
		case <-time.After(wharftest.Patience):
			t.Fatalf("round %d: the client never saw the Tunnel's end", round)
		}
		nc.Close()
		<-clientDone
	}
	wharftest.WaitFor(t, "the closed tunnels to leave the server's books", func() bool { return openConns(ts) == 0 })
}

// Tunnels waiting in NotifyReadable hold no goroutine: 200 of them cost a
// few goroutines at most, and a byte still wakes the one it is for.
func TestTunnelIdleHoldsNoGoroutine(t *testing.T) { eachTunnelKind(t, testTunnelIdleHoldsNoGoroutine) }

func testTunnelIdleHoldsNoGoroutine(t *testing.T, useTLS bool) {
	const n = 200
	// fired[i] counts the callbacks that found bytes, of the tunnel whose request was
	// /tunnel/i: 0 is the probe, 1..n the idle tunnels.
	var fired [n + 1]atomic.Int32
	got := make(chan taken, n+1)
	h := tunHandler(func(s connector.Stream) {
		var i int
		if _, err := fmt.Sscanf(s.Request().Path, "/tunnel/%d", &i); err != nil || i < 0 || i > n {
			got <- taken{err: fmt.Errorf("unexpected path %q", s.Request().Path)}
			s.Abort(nil)
			return
		}
		tun, err := s.(api.Tunneler).Tunnel()
		if err != nil {
			got <- taken{err: err}
			s.Abort(err)
			return
		}
		t.Cleanup(func() { tun.Close() })
		if err := writeAll(tun, []byte(tunSwitching)); err != nil {
			got <- taken{err: err}
			return
		}
		buf := make([]byte, 64)
		for {
			if _, err := tun.TryRead(buf); err != nil {
				if !errors.Is(err, api.ErrWouldBlock) {
					got <- taken{err: fmt.Errorf("TryRead with nothing sent: %w", err)}
					return
				}
				break
			}
		}
		// A callback may find nothing (readiness the handshake's or the
		// head's reads already used, reported late): it waits again.
		// Only one that finds a byte counts.
		var wait func()
		wait = func() {
			tun.NotifyReadable(func() {
				if _, err := tun.TryRead(buf); errors.Is(err, api.ErrWouldBlock) {
					wait()
					return
				}
				fired[i].Add(1)
			})
		}
		wait()
		got <- taken{tun: tun}
	})
	ts := startTunServer(t, connector.Config{}, h, useTLS)
	open := func(i int) (net.Conn, api.Tunnel) {
		t.Helper()
		nc := ts.dial(t)
		fmt.Fprintf(nc, "GET /tunnel/%d HTTP/1.1\r\nHost: x\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n", i)
		tun := receive(t, got)
		readSwitching(t, bufio.NewReader(nc))
		return nc, tun
	}
	// A first tunnel starts what the server starts once.
	probe, probeTun := open(0)
	probeTun.Close()
	probe.Close()
	wharftest.WaitFor(t, "the probe to close", func() bool { return openConns(ts) == 0 })

	// Goroutines the executor keeps for its next tasks are nobody's.
	counted := func() int {
		ex := ts.exec.Stats()
		return runtime.NumGoroutine() - (ex.Workers - ex.Busy)
	}
	base := counted()
	conns := make([]net.Conn, n+1)
	tuns := make([]api.Tunnel, n+1)
	for i := 1; i <= n; i++ {
		conns[i], tuns[i] = open(i)
	}
	if o := openConns(ts); o != n {
		t.Errorf("Stats Open = %d with %d tunnels open", o, n)
	}
	const allowed = 40
	held := counted() - base
	for deadline := time.Now().Add(wharftest.Patience); held >= allowed && time.Now().Before(deadline); held = counted() - base {
		time.Sleep(5 * time.Millisecond) // polling: the handlers' goroutines wind down
	}
	if held >= allowed {
		t.Fatalf("%d idle tunnels hold %d goroutines", n, held)
	}
	t.Logf("%d idle tunnels hold %d goroutines", n, held)
	for i := range fired {
		if c := fired[i].Load(); c != 0 {
			t.Fatalf("tunnel %d found bytes %d times with nothing sent", i, c)
		}
	}
	// A byte wakes the tunnel it is for, and that one only.
	const k = n / 2
	if _, err := conns[k].Write([]byte("!")); err != nil {
		t.Fatal(err)
	}
	wharftest.WaitFor(t, "the written tunnel's callback", func() bool { return fired[k].Load() == 1 })
	for i := range fired {
		if c := fired[i].Load(); i != k && c != 0 {
			t.Errorf("tunnel %d found bytes %d times with nothing sent", i, c)
		}
	}
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tuns[i].Close()
			conns[i].Close()
		}()
	}
	wg.Wait()
	wharftest.WaitFor(t, "the closed tunnels to leave the server's books", func() bool { return openConns(ts) == 0 })
}

// openTunnel serves takeTunnel and opens one Tunnel on it.
func openTunnel(t *testing.T, useTLS bool) (*tunServer, net.Conn, api.Tunnel) {
	t.Helper()
	got := make(chan taken, 1)
	ts := startTunServer(t, connector.Config{}, takeTunnel(t, got), useTLS)
	nc := ts.dialNarrow(t)
	if _, err := io.WriteString(nc, tunUpgrade); err != nil {
		t.Fatal(err)
	}
	return ts, nc, receive(t, got)
}

// NotifyWritable's timeout breaks a peer that reads nothing, over TLS too,
// where the Tunnel took the whole write and waits to send its ciphertext:
// the callback comes, and the next write says the deadline passed.
func TestTunnelWriteTimeout(t *testing.T) {
	eachTunnelKind(t, func(t *testing.T, useTLS bool) {
		_, _, tun := openTunnel(t, useTLS)
		big := make([]byte, bigWrite) // more than both socket buffers hold
		fired := make(chan struct{})
		for {
			n, err := tun.WriteNow(big)
			if err != nil {
				t.Fatal(err)
			}
			if n < len(big) {
				tun.NotifyWritable(func() { close(fired) }, 300*time.Millisecond)
				break
			}
		}
		select {
		case <-fired:
		case <-time.After(wharftest.Patience):
			t.Fatal("NotifyWritable with a 300 ms timeout never called back, the peer reading nothing")
		}
		if _, err := tun.WriteNow([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("WriteNow after the timeout: %v, want os.ErrDeadlineExceeded", err)
		}
	})
}

// What WriteNow said it took reaches the peer even if Close comes at once:
// over TLS, Close lingers until the ciphertext waiting in the Tunnel went,
// then says close_notify.
func TestTunnelCloseSendsWhatWasTaken(t *testing.T) {
	eachTunnelKind(t, func(t *testing.T, useTLS bool) {
		ts, nc, tun := openTunnel(t, useTLS)
		n, err := tun.WriteNow(make([]byte, 16<<20))
		if err != nil {
			t.Fatal(err)
		}
		tun.Close()
		br := bufio.NewReader(nc)
		readSwitching(t, br)
		if m, err := io.Copy(io.Discard, br); m != int64(n) || err != nil {
			t.Errorf("WriteNow took %d bytes; the peer got %d before the end (%v)", n, m, err)
		}
		wharftest.WaitFor(t, "the closed tunnel to leave the books", func() bool { return openConns(ts) == 0 })
	})
}
