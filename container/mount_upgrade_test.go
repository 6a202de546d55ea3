package container_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	engine "github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/modes"
)

// A net/http handler that upgrades the connection itself, as
// coder/websocket does: WriteHeader(101) with its fields, then Hijack.
// net/http's Hijack sends the 101 written before it; a mounted handler's
// must too, or the client waits for a head that never comes.
func TestMountWriteHeader101ThenHijack(t *testing.T) {
	upgrade := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Upgrade", "echo")
		w.Header().Set("Connection", "Upgrade")
		w.WriteHeader(http.StatusSwitchingProtocols)
		w.Header().Set("X-Late", "not sent") // after WriteHeader: not in the head
		echoAfterHijack(t, w)
	})
	returned := make(chan error, 1)
	build := func(c *container.Container) {
		c.Filter("/upgrade", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			err := next.Next(w, r)
			returned <- err
			return err
		}))
		c.Root().Mount("/upgrade", upgrade)
	}
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.NetHTTP} {
		t.Run(string(m), func(t *testing.T) {
			c := container.New(modes.Options(m)...)
			build(c)
			s := modes.Start(t, m, c)
			conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(conn, "GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("reading the 101: %v", err)
			}
			if resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "echo" || resp.Header.Get("Connection") != "Upgrade" || resp.Header.Get("X-Late") != "" {
				t.Fatalf("head %d %v, want 101 with the fields set before WriteHeader", resp.StatusCode, resp.Header)
			}
			io.WriteString(conn, "hello\n")
			if line, err := br.ReadString('\n'); err != nil || line != "echo: hello\n" {
				t.Fatalf("after the upgrade: %q %v", line, err)
			}
			if err := <-returned; err != nil {
				t.Errorf("the mounted handler returned %v, want nil: it upgraded", err)
			}
		})
	}
}

// A 101 that no Hijack follows is not a response Wharf sends: the mounted
// handler's request fails with a 500, whether it writes a body after it
// or returns, on every protocol.
func TestMountWriteHeader101WithoutHijack(t *testing.T) {
	build := func(c *container.Container) {
		c.Root().Mount("/switch", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusSwitchingProtocols)
			if r.URL.Query().Has("write") {
				io.WriteString(w, "body")
			}
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, path := range []string{"/switch", "/switch?write"} {
			code, _, _ := get(t, s, path)
			if code != http.StatusInternalServerError {
				t.Errorf("%s: %d, want 500", path, code)
			}
		}
	})
}

// A net/http handler that answers and then takes the connection over, as
// a CONNECT proxy does (WriteHeader(200), then Hijack and tunnel): net/http's
// Hijack sends the head written before it, with the fields set by then,
// whether WriteHeader or a Write implied it (the body written is dropped).
// A mounted handler's must too, or the client waits for a head that never
// comes and reads the tunnel's bytes as one.
func TestMountWriteHeaderThenHijack(t *testing.T) {
	tunnel := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Tunnel", "1")
		if r.URL.Query().Has("write") {
			io.WriteString(w, "dropped")
		} else {
			w.WriteHeader(http.StatusOK)
		}
		w.Header().Set("X-Late", "not sent")
		echoAfterHijack(t, w)
	})
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.NetHTTP, modes.H1TLS, modes.H1TLSPortable} {
		t.Run(string(m), func(t *testing.T) {
			c := container.New(modes.Options(m)...)
			sent := make(chan int, 1)
			c.Filter("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
				engine.From(r).AddListener(async.Listener{OnComplete: func(r *api.Request, _ error) {
					res, _ := async.ResultOf(r)
					sent <- res.Status
				}})
				return next.Next(w, r)
			}))
			c.Mount("/tunnel", tunnel)
			s := modes.Start(t, m, c)
			for _, target := range []string{"/tunnel", "/tunnel?write"} {
				conn := s.DialHTTP1(t)
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\nhello\n")
				tp := textproto.NewReader(bufio.NewReader(conn))
				status, err := tp.ReadLine()
				if err != nil {
					t.Fatalf("%s: reading the head: %v", target, err)
				}
				fields, err := tp.ReadMIMEHeader()
				if err != nil {
					t.Fatalf("%s: reading the head's fields after %q: %v", target, status, err)
				}
				if !strings.HasPrefix(status, "HTTP/1.1 200 ") || fields.Get("X-Tunnel") != "1" || fields.Get("X-Late") != "" {
					t.Fatalf("%s: head %q %v, want a 200 with the fields set before it", target, status, fields)
				}
				if line, err := tp.R.ReadString('\n'); err != nil || line != "echo: hello\n" {
					t.Errorf("%s: after the head: %q %v, want the tunnel's echo", target, line, err)
				}
				conn.Close()
				// What a request log reports: the head the client got, as
				// net/http's logging middleware report WriteHeader's.
				if status := <-sent; status != http.StatusOK {
					t.Errorf("%s: the exchange reports %d sent, want 200", target, status)
				}
			}
		})
	}
}

// Where the connection cannot be taken over (HTTP/2, HTTP/3), a mounted
// handler's Hijack fails with net/http's http.ErrNotSupported, as
// http.ResponseController's does on net/http's own server, so that the
// handler's errors.Is test finds it and falls back; it failed with
// api.ErrNotSupported alone, which no net/http handler knows.
func TestMountHijackNotSupported(t *testing.T) {
	errs := make(chan error, 1)
	build := func(c *container.Container) {
		c.Mount("/hijack", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			nc, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				nc.Close()
			}
			errs <- err
		}))
	}
	for _, m := range []modes.Mode{modes.H2, modes.H2C, modes.H3} {
		t.Run(string(m), func(t *testing.T) {
			c := container.New(modes.Options(m)...)
			build(c)
			s := modes.Start(t, m, c)
			get(t, s, "/hijack")
			err := <-errs
			if !errors.Is(err, http.ErrNotSupported) || !errors.Is(err, api.ErrNotSupported) {
				t.Errorf("Hijack: %v, want an error that is http.ErrNotSupported (and api.ErrNotSupported)", err)
			}
		})
	}
}

// echoAfterHijack takes the connection over from w and answers the line
// the client sends next with "echo: " and that line.
func echoAfterHijack(t *testing.T, w http.ResponseWriter) {
	nc, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("Hijack: %v", err)
		return
	}
	defer nc.Close()
	line, err := rw.ReadString('\n')
	if err != nil {
		t.Errorf("reading the connection taken over: %v", err)
		return
	}
	rw.WriteString("echo: " + line)
	rw.Flush()
}

// A head the handler flushed before Hijack is out already: Hijack must not
// send it again. Behind net/http (the container's ServeHTTP), whose
// Hijack takes a connection whose head went, the client read a second
// head as the tunnel's first bytes. (Wharf's connectors, as net/http's,
// send the head before they hand the connection over.)
func TestMountFlushThenHijack(t *testing.T) {
	tunnel := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Tunnel", "1")
		w.WriteHeader(http.StatusOK)
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
			return
		}
		echoAfterHijack(t, w)
	})
	m := modes.NetHTTP
	c := container.New(modes.Options(m)...)
	c.Mount("/tunnel", tunnel)
	s := modes.Start(t, m, c)
	conn := s.DialHTTP1(t)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET /tunnel HTTP/1.1\r\nHost: x\r\n\r\nhello\n")
	tp := textproto.NewReader(bufio.NewReader(conn))
	status, err := tp.ReadLine()
	if err != nil {
		t.Fatalf("reading the head: %v", err)
	}
	fields, err := tp.ReadMIMEHeader()
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200 ") || fields.Get("X-Tunnel") != "1" {
		t.Fatalf("head %q %v (%v), want a 200 with the fields set before it", status, fields, err)
	}
	if line, err := tp.R.ReadString('\n'); err != nil || line != "echo: hello\n" {
		t.Errorf("after the head: %q %v, want the tunnel's echo", line, err)
	}
}
