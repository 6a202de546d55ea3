package connector_test

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The empty lines a client sends after a request (an old client's CRLF
// after a POST body), which RFC 9112 §2.2 has a server ignore before the
// next request-line, begin no request head: the connection waits for
// its next request as an idle one, within IdleTimeout, and closes at its
// end without an answer, where ReadHeaderTimeout bounds a head begun
// and a 408 answers it. A request sent meanwhile is served as itself.
func TestEmptyLinesAfterRequestAreIdle(t *testing.T) {
	const headerTimeout, idleTimeout = 100 * time.Millisecond, 800 * time.Millisecond
	tests := []struct {
		name, raw, rest string
		answer          string // the status line that ends the wait, "" for a close without one
	}{
		{"CRLF after a POST body, HTTP/1.0 keep-alive", "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc", "\r\n", ""},
		{"CRLF after a GET", "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n", ""},
		{"two CRLFs", "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n\r\n", ""},
		{"a CRLF and a CR", "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n\r", ""},
		{"a head begun", "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", "GE", "HTTP/1.1 408 Request Timeout\r\n"},
		{"a head begun after a CRLF", "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", "\r\nGE", "HTTP/1.1 408 Request Timeout\r\n"},
	}
	cfg := connector.Config{ReadHeaderTimeout: headerTimeout, IdleTimeout: idleTimeout}
	eachConnector(t, cfg, func(t *testing.T, cfg connector.Config) {
		addr, _ := serve(t, cfg)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, next := range []bool{true, false} {
					nc := wharftest.Dial(t, addr, 5*time.Second)
					defer nc.Close()
					io.WriteString(nc, tt.raw+tt.rest)
					br := bufio.NewReader(nc)
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Fatal(err)
					}
					io.ReadAll(resp.Body)
					if next && tt.answer == "" {
						// Past ReadHeaderTimeout, within IdleTimeout: nothing
						// comes, and the next request is served.
						nc.SetReadDeadline(time.Now().Add(4 * headerTimeout))
						if line, err := br.ReadString('\n'); !errors.Is(err, os.ErrDeadlineExceeded) {
							t.Fatalf("after %q: %q, %v; want nothing until IdleTimeout", tt.rest, line, err)
						}
						nc.SetReadDeadline(time.Now().Add(5 * time.Second))
						io.WriteString(nc, "\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n"[1-len(tt.rest)%2:]) // a CRLF cut after its CR ended first
						resp, err := http.ReadResponse(br, nil)
						if err != nil {
							t.Fatalf("the next request: %v", err)
						}
						if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(b) != "hello" {
							t.Errorf("the next request: %d %q", resp.StatusCode, b)
						}
						continue
					}
					nc.SetReadDeadline(time.Now().Add(5 * time.Second))
					line, err := br.ReadString('\n')
					if line != tt.answer || line == "" && err != io.EOF {
						t.Errorf("after %q: %q, %v; want %q, then the close", tt.rest, line, err, tt.answer)
					}
				}
			})
		}
	})
}
