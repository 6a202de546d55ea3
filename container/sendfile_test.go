//go:build !windows

package container_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// fileSender answers with a prefix and then a section of a file through an
// async.Output, as a static file handler does: the file goes out with
// sendfile(2) where the connection writes without blocking.
type fileSender struct {
	a        *async.Context
	out      *async.Output
	f        *os.File
	prefix   string
	off, n   int64
	declared bool // set Content-Length (else the body is chunked)
	started  bool
	errs     chan error
}

func (s *fileSender) OnWritePossible(w api.Response) {
	if s.started {
		return
	}
	s.started = true
	if s.declared {
		w.Header().Set("Content-Length", strconv.FormatInt(int64(len(s.prefix))+s.n, 10))
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if _, err := s.out.Write([]byte(s.prefix)); err != nil {
		s.errs <- err
	}
	if err := s.out.SendFile(s.f, s.off, s.n); err != nil {
		s.errs <- err
	}
	s.out.Complete()
}

func (s *fileSender) OnError(w api.Response, err error) {
	select {
	case s.errs <- err:
	default:
	}
}

// sendFileHandler serves /file?off=&n=&declared= from path.
func sendFileHandler(path string, errs chan error) api.HandlerFunc {
	return func(w api.Response, r *api.Request) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		a, err := async.Start(r)
		if err != nil {
			f.Close()
			return err
		}
		a.SetTimeout(-1) // a download takes as long as the client reads
		async.OnComplete(r, func(error) { f.Close() })
		off, _ := strconv.ParseInt(r.QueryValue("off"), 10, 64)
		n, _ := strconv.ParseInt(r.QueryValue("n"), 10, 64)
		s := &fileSender{a: a, f: f, prefix: "prefix:", off: off, n: n, declared: r.QueryValue("declared") != "no", errs: errs}
		s.out, err = a.SetWriteListener(s)
		return err
	}
}

func writeTestFile(t testing.TB, size int) (string, []byte) {
	t.Helper()
	content := make([]byte, size)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range content {
		content[i] = byte(rnd.UintN(256))
	}
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, content
}

// A file section queued on an Output arrives whole, after the bytes
// queued before it, with and without a declared length, on every
// protocol (sendfile where it can, a copy elsewhere).
func TestOutputSendFile(t *testing.T) {
	path, content := writeTestFile(t, 3<<20+17)
	// A channel per mode: a request of one mode that outlives its test
	// (a HEAD still discarding its file when the client closes its
	// connections, which fails it, ErrClientGone) reports to its own.
	var errs chan error
	build := func(c *container.Container) {
		errs = make(chan error, 16)
		c.Handle("/file", sendFileHandler(path, errs))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		errs := errs
		for _, tc := range []struct {
			off, n   int64
			declared string
		}{
			{0, int64(len(content)), "yes"},
			{12345, 1 << 20, "yes"},
			{5, 100, "no"},
			{0, int64(len(content)), "no"},
			{7, 0, "yes"},
		} {
			url := fmt.Sprintf("%s/file?off=%d&n=%d&declared=%s", s.URL, tc.off, tc.n, tc.declared)
			resp, err := s.Client.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("%+v: %v", tc, err)
			}
			want := append([]byte("prefix:"), content[tc.off:tc.off+tc.n]...)
			if !bytes.Equal(body, want) {
				t.Fatalf("%+v: %d bytes, want %d (equal prefix: %v)", tc, len(body), len(want), bytes.HasPrefix(body, []byte("prefix:")))
			}
			if tc.declared == "yes" && resp.ContentLength != int64(len(want)) {
				t.Fatalf("%+v: Content-Length %d", tc, resp.ContentLength)
			}
			if tc.declared == "no" {
				continue
			}
			resp, err = s.Client.Head(url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if len(body) != 0 || resp.ContentLength != int64(len(want)) {
				t.Fatalf("HEAD %+v: %d body bytes, Content-Length %d", tc, len(body), resp.ContentLength)
			}
		}
		select {
		case err := <-errs:
			t.Fatalf("the Output reported %v", err)
		default:
		}
	})
}

// slowClients opens n connections that ask for the same large response
// and read only its first bytes, through a small receive buffer: the
// server then waits for every one of them.
func slowClients(t *testing.T, addr, target string, n int) []net.Conn {
	t.Helper()
	d := wharftest.SmallReceiveBuffer(8 << 10)
	conns := make([]net.Conn, n)
	for i := range conns {
		nc, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		if _, err := io.WriteString(nc, "GET "+target+" HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		conns[i] = nc
	}
	for _, nc := range conns {
		if _, err := io.ReadFull(nc, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
	}
	return conns
}

// Slow downloads through an Output on the epoll connector hold no
// goroutine while their clients do not read: the goroutine count comes
// back to where it was before they started, and every download still
// completes whole once the clients read. The executor keeps no idle
// goroutine, so the count is what the downloads hold (by default, idle
// workers stay 10 s, as long as WaitFor's patience).
func TestOutputSendFileHoldsNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the epoll connector is Linux's")
	}
	const clients = 40
	path, content := writeTestFile(t, 4<<20)
	errs := make(chan error, clients)
	ex := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{MaxIdle: -1})
	t.Cleanup(func() { ex.Close(context.Background()) })
	// The downloads are read one after another: the last stalls while
	// the others are read, longer than the default WriteTimeout under the
	// race detector on a busy machine.
	c := container.New(container.WithExecutor(ex), container.WithConnector(connector.Config{WriteTimeout: 10 * time.Minute}))
	c.Handle("/file", sendFileHandler(path, errs))
	s := modes.Start(t, modes.H1, c)
	addr := s.URL[len("http://"):]
	base := runtime.NumGoroutine()
	conns := slowClients(t, addr, fmt.Sprintf("/file?off=0&n=%d", len(content)), clients)
	wharftest.WaitFor(t, "the stalled downloads to hold no goroutine", func() bool {
		return runtime.NumGoroutine() <= base+5
	})
	want := append([]byte("prefix:"), content...)
	for i, nc := range conns {
		got, err := readResponseBody(nc, len(want))
		if err != nil {
			t.Fatalf("download %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("download %d: corrupt body", i)
		}
	}
	select {
	case err := <-errs:
		t.Fatalf("the Output reported %v", err)
	default:
	}
}

// readResponseBody reads the rest of a response whose first byte was read:
// the rest of its head, then n bytes of body.
func readResponseBody(nc net.Conn, n int) ([]byte, error) {
	nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	var head []byte
	b := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := io.ReadFull(nc, b); err != nil {
			return nil, err
		}
		head = append(head, b[0])
	}
	body := make([]byte, n)
	_, err := io.ReadFull(nc, body)
	return body, err
}

// A client that stops reading a download is cut off once the write
// timeout, or its minimum data rate, runs out, without a goroutine waiting
// for it: the Output's listener hears the error a blocking write would
// have met, and the request completes.
func TestOutputStalledClientTimesOut(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the epoll connector is Linux's")
	}
	path, content := writeTestFile(t, 4<<20)
	for _, tc := range []struct {
		name string
		cfg  connector.Config
		want error
	}{
		{"write timeout", connector.Config{WriteTimeout: 200 * time.Millisecond}, os.ErrDeadlineExceeded},
		{"data rate", connector.Config{MinResponseDataRate: 64 << 20, DataRateGrace: 100 * time.Millisecond}, connector.ErrTooSlow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := make(chan error, 1)
			done := make(chan error, 1)
			c := container.New(container.WithConnector(tc.cfg))
			h := sendFileHandler(path, errs)
			c.HandleFunc("/file", func(w api.Response, r *api.Request) error {
				async.OnComplete(r, func(err error) { done <- err })
				return h(w, r)
			})
			s := modes.Start(t, modes.H1, c)
			slowClients(t, s.URL[len("http://"):], fmt.Sprintf("/file?off=0&n=%d", len(content)), 1)
			var err error
			select {
			case err = <-errs:
			case <-time.After(20 * time.Second):
				t.Fatal("no error reached the listener")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("listener error = %v, want one wrapping %v", err, tc.want)
			}
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the request did not complete")
			}
		})
	}
}

// writeInTask writes through an Output and then, still in the listener's
// task, waits for the client to have read what it wrote.
type writeInTask struct {
	out    *async.Output
	seen   chan struct{}
	result chan bool
}

func (l *writeInTask) OnWritePossible(w api.Response) {
	if l.seen == nil {
		return
	}
	seen := l.seen
	l.seen = nil
	w.Header().Set("Content-Length", "5")
	if _, err := l.out.Write([]byte("hello")); err != nil {
		l.result <- false
		return
	}
	select {
	case <-seen:
		l.result <- true
	case <-time.After(5 * time.Second):
		l.result <- false
	}
	l.out.Complete()
}

func (l *writeInTask) OnError(api.Response, error) {}

// Where the connection writes without blocking, Output.Write hands the
// bytes to it at once, as a servlet's non-blocking write does: they reach
// the client while the task that wrote them still runs, with no flush
// task queued behind it.
func TestOutputWriteGoesOutAtOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the epoll connector is Linux's")
	}
	seen := make(chan struct{})
	l := &writeInTask{seen: seen, result: make(chan bool, 1)}
	c := container.New()
	c.HandleFunc("/w", func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		l.out, err = a.SetWriteListener(l)
		return err
	})
	s := modes.Start(t, modes.H1, c)
	nc, err := net.Dial("tcp", s.URL[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := io.WriteString(nc, "GET /w HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(nc, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	body, err := readResponseBody(nc, 5)
	if err != nil || string(body) != "hello" {
		t.Fatalf("body %q, %v", body, err)
	}
	close(seen)
	if !<-l.result {
		t.Fatal("the bytes did not go out before the writing task returned")
	}
}

// untypedFile sends a whole file through an Output with no Content-Type
// and nothing written before it.
type untypedFile struct {
	out     *async.Output
	f       *os.File
	n       int64
	started bool
}

func (u *untypedFile) OnWritePossible(api.Response) {
	if u.started {
		return
	}
	u.started = true
	_ = u.out.SendFile(u.f, 0, u.n)
	u.out.Complete()
}

func (u *untypedFile) OnError(api.Response, error) {}

// A file sent with no Content-Type is typed by its first bytes on every
// protocol, as a body written is: where it goes by sendfile(2) its bytes
// never pass the buffer the type is otherwise sniffed from, and it went
// out untyped there alone.
func TestOutputSendFileSniffed(t *testing.T) {
	page := append([]byte("<!doctype html><title>t</title>"), bytes.Repeat([]byte("x"), 64<<10)...)
	path := filepath.Join(t.TempDir(), "page")
	if err := os.WriteFile(path, page, 0o600); err != nil {
		t.Fatal(err)
	}
	build := func(c *container.Container) {
		c.HandleFunc("/page", func(w api.Response, r *api.Request) error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			a, err := async.Start(r)
			if err != nil {
				f.Close()
				return err
			}
			async.OnComplete(r, func(error) { f.Close() })
			u := &untypedFile{f: f, n: int64(len(page))}
			u.out, err = a.SetWriteListener(u)
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		resp, err := s.Client.Get(s.URL + "/page")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(body, page) || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("%d bytes, Content-Type %q; want the page, text/html", len(body), resp.Header.Get("Content-Type"))
		}
	})
}
