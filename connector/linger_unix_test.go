//go:build unix

package connector_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A connection that closes while its client still sends what this side
// will not read (a body too large to discard or refused, a head too
// large) shuts its sending side first and reads what still comes: the
// client reads its whole answer, then the end of the stream. Closing at
// once resets the connection, and the reset destroys what of the answer
// is still in flight or unread: a client uploading then sees "connection
// reset by peer" rather than its answer. Each case sends its request
// before it reads at all, on both connectors, in cleartext and over TLS.
func TestLingerClose(t *testing.T) {
	// What the client sends past what the server reads is 256 KiB, about
	// what the sockets' buffers take at once, discarded in a few reads.
	// Megabytes past it had to be read and dropped within the linger's
	// 500 ms (on the epoll connector 64 KiB a pass, an edge each), and on
	// a loaded machine they were not: the server closed with input
	// unread, and the reset destroyed the answer. Unread input at the
	// close is all a reset needs: without the linger, this much fails
	// more of the cases than megabytes did.
	const sent = 256 << 10
	chunked := func(n int) string {
		var b strings.Builder
		chunk := strings.Repeat("c", 16<<10)
		for b.Len() < n {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", len(chunk), chunk)
		}
		return b.String()
	}
	cases := []struct {
		name, req string
		status    int
	}{
		{"unread body past MaxDiscardBytes",
			"POST /unread HTTP/1.1\r\nHost: a\r\nContent-Length: 4194304\r\n\r\n" + strings.Repeat("b", sent), 200},
		{"chunked body past MaxBodyBytes",
			"POST /read HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(4<<20+sent), 413},
		{"declared length past MaxBodyBytes",
			"POST /read HTTP/1.1\r\nHost: a\r\nContent-Length: 1073741824\r\n\r\n" + strings.Repeat("b", sent), 413},
		{"head past MaxHeaderBytes",
			"GET /unread HTTP/1.1\r\nHost: a\r\nX-Long: " + strings.Repeat("h", sent), 431},
	}
	// The answer outgrows what the client's socket takes while it does not
	// read: the server's kernel still holds the rest when it closes.
	answer := strings.Repeat("a", 64<<10)
	cert := mustCert(t)
	pool, _ := devcert.Pool(cert)
	smallWindow := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	cfg := connector.Config{MaxDiscardBytes: 64 << 10, MaxBodyBytes: 4 << 20, MaxHeaderBytes: 16 << 10}
	for _, secure := range []bool{false, true} {
		t.Run(map[bool]string{false: "cleartext", true: "tls"}[secure], func(t *testing.T) {
			eachConnector(t, cfg, func(t *testing.T, cfg connector.Config) {
				opts := []container.Option{container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger())}
				if secure {
					opts = append(opts, container.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
				}
				c := container.New(opts...)
				c.HandleFunc("/unread", func(w api.Response, r *api.Request) error {
					_, err := w.WriteString(answer)
					return err
				})
				c.HandleFunc("/read", func(w api.Response, r *api.Request) error {
					_, err := io.Copy(io.Discard, r.Body())
					return err
				})
				c.ErrorPage(http.StatusRequestEntityTooLarge, api.HandlerFunc(func(w api.Response, r *api.Request) error {
					_, err := w.WriteString(answer) // a refused body's page (the connector answers a declared length itself)
					return err
				}))
				var addr string
				if secure {
					addr = serveTLS(t, c, "", "")
				} else {
					addr = listen(t, c)
				}
				for _, tc := range cases {
					t.Run(tc.name, func(t *testing.T) {
						var nc net.Conn
						var err error
						if secure {
							nc, err = tls.DialWithDialer(smallWindow, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
						} else {
							nc, err = smallWindow.Dial("tcp", addr)
						}
						if err != nil {
							t.Fatal(err)
						}
						defer nc.Close()
						nc.SetDeadline(time.Now().Add(10 * time.Second))
						io.WriteString(nc, tc.req) // fails once the server stops reading: what it answered is read below
						got, err := io.ReadAll(nc)
						if err != nil {
							t.Fatalf("after %d bytes of the answer: %v, want its end", len(got), err)
						}
						res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
						if err != nil {
							t.Fatalf("answer %q: %v", got, err)
						}
						if _, err := io.ReadAll(res.Body); err != nil || res.StatusCode != tc.status {
							t.Fatalf("answer %d (%v), want %d whole", res.StatusCode, err, tc.status)
						}
					})
				}
			})
		})
	}
}
