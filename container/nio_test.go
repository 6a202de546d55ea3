package container_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// countingListener counts the body's bytes as they arrive and answers the
// total when the body ends; with stopAfter > 0 it completes the request as
// soon as it has that many bytes.
type countingListener struct {
	a         *async.Context
	in        *async.Input
	n         int
	calls     atomic.Int32
	stopAfter int
}

func (l *countingListener) OnDataAvailable(w api.Response) {
	l.calls.Add(1)
	buf := make([]byte, 7)
	for {
		n, err := l.in.Read(buf)
		l.n += n
		if l.stopAfter > 0 && l.n >= l.stopAfter {
			fmt.Fprintf(w, "enough after %d", l.n)
			l.a.Complete()
			return
		}
		if err != nil {
			return // ErrWouldBlock: called again; EOF: OnAllDataRead comes
		}
	}
}

func (l *countingListener) OnAllDataRead(w api.Response) {
	fmt.Fprintf(w, "read %d bytes", l.n)
	l.a.Complete()
}

func (l *countingListener) OnError(w api.Response, err error) {
	w.SetStatus(400)
	fmt.Fprintf(w, "error: %v", err)
	l.a.Complete()
}

// The body arrives in pieces with pauses; the listener gets it without a
// blocked read, serialized with the request; completing early cancels the
// callbacks still to come.
func TestReadListener(t *testing.T) {
	var last atomic.Pointer[countingListener]
	build := func(c *container.Container) {
		handle := func(stopAfter int) api.HandlerFunc {
			return func(w api.Response, r *api.Request) error {
				a, err := async.Start(r)
				if err != nil {
					return err
				}
				l := &countingListener{a: a, stopAfter: stopAfter}
				last.Store(l)
				l.in, err = a.SetReadListener(l)
				return err
			}
		}
		c.HandleFunc("/count", handle(0))
		c.HandleFunc("/stop", handle(5))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range []struct {
			path, want string
		}{
			{"/count", "read 30 bytes"},
			{"/stop", "enough after "},
		} {
			nc := s.DialHTTP1(t)
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(nc, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n", tt.path)
			br := bufio.NewReader(nc)
			var got string
			for i := range 3 {
				if _, err := io.WriteString(nc, "0123456789"); err != nil && i == 0 {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			resp, err := readResponse(br)
			if err != nil {
				t.Fatalf("%s: %v", tt.path, err)
			}
			got = resp
			nc.Close()
			if !strings.Contains(got, tt.want) {
				t.Errorf("%s answered %q, want %q", tt.path, got, tt.want)
			}
			if tt.path == "/stop" {
				calls := last.Load().calls.Load()
				time.Sleep(50 * time.Millisecond)
				if c := last.Load().calls.Load(); c != calls {
					t.Errorf("OnDataAvailable ran after Complete (%d → %d calls)", calls, c)
				}
			}
		}
	})
}

func readResponse(br *bufio.Reader) (string, error) {
	var sb strings.Builder
	length := -1
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return sb.String(), err
		}
		if strings.HasPrefix(strings.ToLower(line), "content-length:") {
			fmt.Sscan(strings.TrimSpace(line[len("content-length:"):]), &length)
		}
		if line == "\r\n" {
			break
		}
	}
	if length < 0 {
		return "", errors.New("no Content-Length")
	}
	b := make([]byte, length)
	_, err := io.ReadFull(br, b)
	return string(b), err
}

// streamer writes total bytes through a WriteListener, as much as the
// Output accepts per call.
type streamer struct {
	a      *async.Context
	out    *async.Output
	sent   int
	total  int
	wakeup atomic.Int32
	full   atomic.Bool // IsReady said false once: the window filled
}

func (s *streamer) OnWritePossible(w api.Response) {
	s.wakeup.Add(1)
	chunk := []byte(strings.Repeat("abcdefgh", 1024)) // 8 KiB
	for s.sent < s.total {
		if !s.out.IsReady() {
			s.full.Store(true)
			break
		}
		n := min(len(chunk), s.total-s.sent)
		if _, err := s.out.Write(chunk[:n]); err != nil {
			return
		}
		s.sent += n
	}
	if s.sent == s.total {
		s.out.Complete()
	}
}

func (s *streamer) OnError(w api.Response, err error) { s.a.Complete() }

// A response written through a WriteListener arrives whole and in order,
// and the listener is woken again when the client drains a full window.
func TestWriteListener(t *testing.T) {
	const total = 16 << 20 // more than loopback's socket buffers hold (Linux lets a send buffer grow to 4 MiB)
	var last atomic.Pointer[streamer]
	build := func(c *container.Container) {
		c.HandleFunc("/stream", func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			s := &streamer{a: a, total: total}
			last.Store(s)
			s.out, err = a.SetWriteListener(s)
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		resp, err := s.Client.Get(s.URL + "/stream")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		// Let the connection back up before reading, until the Output's
		// window is full: where a Write goes to the connection at once
		// (the epoll connector), it fills only once the socket's buffers
		// are full, and a reader that kept up would never let it.
		wharftest.WaitFor(t, "the Output's window to fill", func() bool {
			s := last.Load()
			return s != nil && s.full.Load()
		})
		want := strings.Repeat("abcdefgh", 1024)
		buf := make([]byte, len(want))
		got := 0
		for got < total {
			if _, err := io.ReadFull(resp.Body, buf); err != nil {
				t.Fatalf("after %d bytes: %v", got, err)
			}
			if string(buf) != want {
				t.Fatalf("corrupt block at %d", got)
			}
			got += len(buf)
		}
		if n, _ := io.Copy(io.Discard, resp.Body); n != 0 {
			t.Fatalf("%d bytes more than written", n)
		}
		if w := last.Load().wakeup.Load(); w < 2 {
			t.Errorf("OnWritePossible ran %d times for %d bytes through a %d-byte window", w, total, async.DefaultOutputWindow)
		}
	})
}
