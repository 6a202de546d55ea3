package connector_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"golang.org/x/sys/unix"
)

// After a read of a request head came back short, the epoll connector
// does not read again to find the socket empty once the response is out:
// each request costs one read. Whatever the client sends next — soon,
// later, pipelined, in pieces, after a body — is still served.
func TestEpollSkipsTheEmptyRead(t *testing.T) {
	const n = 200
	tests := []struct {
		name string
		// send writes request i; the client then reads its responses.
		send func(nc net.Conn, i int) error
		// per is how many responses request i's send asks for.
		per int
		// reads is how many head reads the n sends may take at most (0:
		// not counted: the case is about what is served).
		reads int
	}{
		{"NonBlocking, one at a time", func(nc net.Conn, i int) error {
			_, err := fmt.Fprintf(nc, "GET /nb?i=%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
			return err
		}, 1, n},
		{"Blocking, one at a time", func(nc net.Conn, i int) error {
			_, err := fmt.Fprintf(nc, "GET /b?i=%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
			return err
		}, 1, n},
		{"two pipelined in one write", func(nc net.Conn, i int) error {
			_, err := fmt.Fprintf(nc, "GET /nb?i=%d HTTP/1.1\r\nHost: x\r\n\r\nGET /b?i=%d HTTP/1.1\r\nHost: x\r\n\r\n", i, i)
			return err
		}, 2, n},
		{"the head in two writes", func(nc net.Conn, i int) error {
			if _, err := fmt.Fprintf(nc, "GET /nb?i=%d HTTP/1.1\r\n", i); err != nil {
				return err
			}
			if i%2 == 0 {
				time.Sleep(time.Millisecond) // let the server find the first part alone
			}
			_, err := fmt.Fprint(nc, "Host: x\r\n\r\n")
			return err
		}, 1, 0},
		{"a body, then the next head", func(nc net.Conn, i int) error {
			body := strings.Repeat("b", i%7*1000)
			_, err := fmt.Fprintf(nc, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			return err
		}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reads atomic.Int64
			cfg := connector.CountHeadReads(connector.Config{Selectors: 1}, func() { reads.Add(1) })
			c := container.New(container.WithConnector(cfg))
			nbAndB(c)
			c.HandleFunc("/echo", func(w api.Response, r *api.Request) error {
				b, err := io.ReadAll(r.Body())
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(w, "%d", len(b))
				return err
			})
			nc := wharftest.Dial(t, listen(t, c), 0)
			br := bufio.NewReader(nc)
			reads.Store(0)
			for i := range n {
				if err := tt.send(nc, i); err != nil {
					t.Fatal(err)
				}
				for j := range tt.per {
					nc.SetReadDeadline(time.Now().Add(10 * time.Second))
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Fatalf("request %d, response %d: %v", i, j, err)
					}
					b, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusOK {
						t.Fatalf("request %d, response %d: %d %q %v", i, j, resp.StatusCode, b, err)
					}
					want := fmt.Sprintf("nb %d", i)
					switch {
					case strings.HasPrefix(tt.name, "a body"):
						want = fmt.Sprint(i % 7 * 1000)
					case strings.HasPrefix(tt.name, "Blocking"), j == 1:
						want = fmt.Sprintf("b %d", i)
					}
					if string(b) != want {
						t.Fatalf("request %d, response %d: %q, want %q", i, j, b, want)
					}
				}
			}
			if got := reads.Load(); tt.reads > 0 && got > int64(tt.reads) {
				t.Errorf("%d head reads for %d requests, want at most %d", got, n*tt.per, tt.reads)
			}
		})
	}
}

// Skipping the empty read after a short one must not miss what a short
// read leaves behind without a new edge: the client's end, after requests
// sent with it (a half-close), and bytes behind urgent data's mark.
func TestEpollShortReadLeavesNothingBehind(t *testing.T) {
	c := container.New(container.WithConnector(connector.Config{Selectors: 1}))
	nbAndB(c)
	addr := listen(t, c)
	dial := func(t *testing.T) *net.TCPConn {
		nc := wharftest.Dial(t, addr, 5*time.Second) // the idle timeout, which would end a stranded connection, is 60 s
		return nc.(*net.TCPConn)
	}
	expect := func(t *testing.T, br *bufio.Reader, want string) {
		t.Helper()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %q: %v", want, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != want {
			t.Fatalf("got %q (%v), want %q", b, err, want)
		}
	}
	for _, path := range []string{"nb", "b"} {
		t.Run("half-close after "+path, func(t *testing.T) {
			for i := range 20 {
				nc := dial(t)
				fmt.Fprintf(nc, "GET /%s?i=%d HTTP/1.1\r\nHost: x\r\n\r\n", path, i)
				if err := nc.CloseWrite(); err != nil {
					t.Fatal(err)
				}
				br := bufio.NewReader(nc)
				expect(t, br, fmt.Sprintf("%s %d", path, i))
				if _, err := br.ReadByte(); err != io.EOF {
					t.Fatalf("after the response: %v, want EOF (the server closes at the client's end)", err)
				}
			}
		})
	}
	t.Run("urgent data between two heads", func(t *testing.T) {
		for i := range 20 {
			nc := dial(t)
			raw, err := nc.SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(nc, "GET /nb?i=%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
			var serr error
			if err := raw.Write(func(fd uintptr) bool {
				serr = unix.Sendto(int(fd), []byte("X"), unix.MSG_OOB, nil)
				return true
			}); err != nil || serr != nil {
				t.Fatal(err, serr)
			}
			fmt.Fprintf(nc, "GET /b?i=%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
			br := bufio.NewReader(nc)
			expect(t, br, fmt.Sprintf("nb %d", i))
			expect(t, br, fmt.Sprintf("b %d", i))
		}
	})
}

// nbAndB maps /nb, a NonBlocking handler, and /b, a Blocking one, each
// answering its name and the query's i.
func nbAndB(c *container.Container) {
	c.Handle("/nb", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("nb " + r.QueryValue("i"))
		return err
	}))
	c.HandleFunc("/b", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("b " + r.QueryValue("i"))
		return err
	})
}
