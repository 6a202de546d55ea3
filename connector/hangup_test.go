package connector_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// runWatch watches a request as the container does: its Hangup watcher
// hears the client leave while the handler runs (gone); the request is
// never suspended here, so ClientGone is not called.
type runWatch struct {
	once sync.Once
	gone chan error
}

func newRunWatch() *runWatch { return &runWatch{gone: make(chan error, 1)} }

func (w *runWatch) ClientGone(err error) {
	panic("a request that never suspends failed: " + err.Error())
}

func (w *runWatch) Hangup() connector.Watcher {
	return goneTo(func(err error) { w.once.Do(func() { w.gone <- err }) })
}

type goneTo func(error)

func (f goneTo) ClientGone(err error) { f(err) }

// waitHangupRead waits until the portable connector's hang-up watch of s
// is reading (returned: until its read came back); on the epoll
// connector, which reads nothing, it returns at once.
func waitHangupRead(t *testing.T, s connector.Stream, cfg connector.Config, returned bool) {
	t.Helper()
	if !cfg.Portable && runtime.GOOS == "linux" {
		return
	}
	deadline := time.Now().Add(wharftest.Patience)
	for {
		reading, back := connector.HangupRead(s)
		if reading && (!returned || back) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the hang-up watch did not read (reading %v, returned %v)", reading, back)
			return
		}
		runtime.Gosched()
	}
}

// answerWith finishes s with a small response.
func answerWith(s connector.Stream, body string) {
	s.WriteHead(200, "", nil, int64(len(body)), nil)
	s.WriteBody([]byte(body))
	s.Finish(nil)
}

// A client that leaves while a handler runs, with nothing for it to
// write, is heard on both connectors (the watcher gets ErrClientGone),
// as net/http's server ends the request's context: on the portable
// connector too, once the request's body was read to its end (and a
// 100-continue body invited first). A client that only half-closes is
// heard the same way, and still gets its answer. The portable connector
// used to hear nothing until the handler wrote.
func TestHangupHeardWhileRunning(t *testing.T) {
	eachConnector(t, connector.Config{}, testHangupHeardWhileRunning)
}

func testHangupHeardWhileRunning(t *testing.T, cfg connector.Config) {
	closeConn := func(nc *net.TCPConn) error { return nc.Close() }
	reset := func(nc *net.TCPConn) error {
		nc.SetLinger(0)
		return nc.Close()
	}
	tests := []struct {
		name     string
		req      string
		cont     string // sent once "100 Continue" came
		leave    func(*net.TCPConn) error
		answered bool // the client still reads the answer
		exact    bool // the handler reads the body's 4 bytes, never io.EOF
	}{
		{name: "close", req: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", leave: closeConn},
		{name: "reset", req: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", leave: reset},
		{name: "close after body", req: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nping", leave: closeConn},
		{name: "close after body read exactly", req: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nping", exact: true, leave: closeConn},
		{name: "close after chunked body", req: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nping\r\n0\r\n\r\n", leave: reset},
		{name: "close after 100-continue body", req: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n", cont: "ping", leave: closeConn},
		{name: "half-close", req: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", leave: (*net.TCPConn).CloseWrite, answered: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			watching := make(chan error, 1)
			release := make(chan struct{})
			w := newRunWatch()
			srv := &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
				s.Watch(w) // before the body is read, as the container watches
				var b []byte
				var err error
				if tt.exact {
					b = make([]byte, 4)
					_, err = io.ReadFull(s.Request().Body, b)
				} else {
					b, err = io.ReadAll(s.Request().Body)
				}
				if err == nil && len(b) > 0 && string(b) != "ping" {
					err = fmt.Errorf("body %q", b)
				}
				if err == nil {
					waitHangupRead(t, s, cfg, false)
				}
				watching <- err
				<-release
				answerWith(s, "answer")
			})}
			addr := serveServer(t, srv)
			t.Cleanup(func() { close(release) }) // before the server closes
			nc := wharftest.Dial(t, addr, wharftest.Patience)
			br := bufio.NewReader(nc)
			if _, err := io.WriteString(nc, tt.req); err != nil {
				t.Fatal(err)
			}
			if tt.cont != "" {
				if line, err := br.ReadString('\n'); err != nil || line != "HTTP/1.1 100 Continue\r\n" {
					t.Fatalf("interim response %q, %v", line, err)
				}
				br.ReadString('\n')
				if _, err := io.WriteString(nc, tt.cont); err != nil {
					t.Fatal(err)
				}
			}
			if err := <-watching; err != nil {
				t.Fatal(err)
			}
			if err := tt.leave(nc.(*net.TCPConn)); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-w.gone:
				if !errors.Is(err, connector.ErrClientGone) {
					t.Errorf("the watcher heard %v, want ErrClientGone", err)
				}
			case <-time.After(wharftest.Patience):
				t.Fatal("the client left while the handler ran, and its watcher never heard")
			}
			if !tt.answered {
				return
			}
			release <- struct{}{}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer after the client half-closed: %v", err)
			}
			if b, err := io.ReadAll(resp.Body); string(b) != "answer" || err != nil {
				t.Errorf("answer %q, %v", b, err)
			}
		})
	}
}

// A request watched while its handler runs on the portable connector,
// whose client sends its next request meanwhile, or nothing: the watch's
// read takes the next request's first byte (over TLS, a byte of the
// record it decrypts), or is aborted when the handler answers; either
// way the next request is read whole, on the kept connection, and the
// watcher hears no hang-up.
func TestHangupWatchKeepsNextRequest(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		for _, pipelined := range []bool{false, true} {
			name := fmt.Sprintf("tls=%v/pipelined=%v", useTLS, pipelined)
			t.Run(name, func(t *testing.T) { testHangupWatchKeepsNextRequest(t, useTLS, pipelined) })
		}
	}
}

func testHangupWatchKeepsNextRequest(t *testing.T, useTLS, pipelined bool) {
	cfg := connector.Config{Portable: true}
	w := newRunWatch()
	reading := make(chan struct{})
	sent := make(chan struct{})
	srv := &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
		if s.Request().Path != "/slow" {
			answerWith(s, "next")
			return
		}
		s.Watch(w)
		waitHangupRead(t, s, cfg, false)
		close(reading)
		if pipelined {
			<-sent
			waitHangupRead(t, s, cfg, true) // it read the next request's first byte
		}
		answerWith(s, "slow")
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if useTLS {
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{mustCert(t, "127.0.0.1")}})
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	var nc net.Conn
	if useTLS {
		nc, err = tls.Dial("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	} else {
		nc, err = net.Dial("tcp", l.Addr().String())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(wharftest.Patience))
	if _, err := io.WriteString(nc, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	<-reading
	next := "GET /next HTTP/1.1\r\nHost: x\r\n\r\n"
	if pipelined {
		if _, err := io.WriteString(nc, next); err != nil {
			t.Fatal(err)
		}
		close(sent)
	}
	br := bufio.NewReader(nc)
	for i, want := range []string{"slow", "next"} {
		if i == 1 && !pipelined {
			if _, err := io.WriteString(nc, next); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %q: %v", want, err)
		}
		b, err := io.ReadAll(resp.Body)
		if string(b) != want || err != nil || resp.Close {
			t.Fatalf("got %q, %v (close %v); want %q on a kept connection", b, err, resp.Close, want)
		}
	}
	select {
	case err := <-w.gone:
		t.Errorf("the watcher heard %v from a client still there", err)
	default:
	}
}

// A handler that hijacks its connection while the portable connector's
// hang-up watch reads it gets every byte the client sent: the one the
// watch read, at the head of the hijacked reader, and what comes after.
func TestHangupWatchThenHijack(t *testing.T) {
	for _, early := range []bool{false, true} {
		t.Run(fmt.Sprintf("byte read before the hijack=%v", early), func(t *testing.T) {
			cfg := connector.Config{Portable: true}
			w := newRunWatch()
			reading := make(chan struct{})
			sent := make(chan struct{})
			hijacked := make(chan struct{})
			got := make(chan string, 1)
			srv := &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
				s.Watch(w)
				waitHangupRead(t, s, cfg, false)
				close(reading)
				if early {
					<-sent
					waitHangupRead(t, s, cfg, true)
				}
				nc, brw, err := s.Hijack()
				if err != nil {
					close(hijacked)
					got <- err.Error()
					s.Abort(err)
					return
				}
				defer nc.Close()
				close(hijacked)
				line, err := brw.ReadString('\n')
				if err != nil {
					line = err.Error()
				}
				got <- line
			})}
			addr := serveServer(t, srv)
			nc := wharftest.Dial(t, addr, wharftest.Patience)
			if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			<-reading
			if early {
				io.WriteString(nc, "ping\n")
				close(sent)
			} else {
				<-hijacked // it aborted the watch's read
				io.WriteString(nc, "ping\n")
			}
			if line := <-got; line != "ping\n" {
				t.Errorf("the hijacker read %q, want %q", line, "ping\n")
			}
		})
	}
}
