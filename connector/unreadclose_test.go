package connector_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A response finished while more of the body is unread than
// MaxDiscardBytes ends the connection, and its head says so
// (Connection: close), as net/http's server says it: a client that keeps
// sending the body meanwhile reads the whole answer, then the end of the
// stream, not a reset. A body small enough to discard keeps the
// connection, and its head says nothing of closing.
func TestUnreadBodyClose(t *testing.T) {
	cfg := connector.Config{MaxDiscardBytes: 64 << 10}
	for _, tt := range []struct {
		name   string
		length int
		close  bool
	}{
		{"past MaxDiscardBytes", 4 << 20, true},
		{"within MaxDiscardBytes", 16 << 10, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			eachConnector(t, cfg, func(t *testing.T, cfg connector.Config) {
				addr, _ := serve(t, cfg)
				nc := wharftest.Dial(t, addr, 10*time.Second)
				sent := make(chan struct{})
				go func() {
					defer close(sent)
					// /hello does not read the body: the client is still
					// sending it when the answer comes, and stops at the
					// close (a write error then is expected).
					fmt.Fprintf(nc, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", tt.length)
					part := strings.Repeat("b", 16<<10)
					for n := 0; n < tt.length; n += len(part) {
						if _, err := io.WriteString(nc, part); err != nil {
							return
						}
					}
				}()
				br := bufio.NewReader(nc)
				res, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(res.Body)
				if err != nil || string(b) != "hello" {
					t.Fatalf("body %q, %v", b, err)
				}
				if res.Close != tt.close {
					t.Errorf("head says close: %v, want %v (Connection: %q)", res.Close, tt.close, res.Header.Get("Connection"))
				}
				if tt.close {
					if rest, err := io.ReadAll(br); err != nil || len(rest) > 0 {
						t.Errorf("after the answer: %q, %v; want the end of the stream", rest, err)
					}
				} else {
					<-sent
					if err := getHello(nc, br); err != nil {
						t.Errorf("next request on the kept connection: %v", err)
					}
				}
				nc.Close()
				<-sent
			})
		})
	}
}
