package container_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// A body that stops coming is answered 408 with an error text that names
// no socket address on either connector: the portable one's read error
// said "read tcp <client>-><server>", which a client behind a proxy must
// not learn.
func TestBodyTimeoutTextNamesNoAddress(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable} {
		t.Run(string(m), func(t *testing.T) {
			c := container.New(append(modes.Options(m), container.WithConnector(connector.Config{ReadTimeout: 200 * time.Millisecond, MinRequestDataRate: -1}))...)
			c.HandleFunc("/read", func(w api.Response, r *api.Request) error {
				_, err := io.ReadAll(r.Body())
				return err
			})
			s := modes.Start(t, m, c)
			nc, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			io.WriteString(nc, "POST /read HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestTimeout || strings.Contains(string(body), "127.0.0.1") {
				t.Fatalf("%d %q, want a 408 that names no address", resp.StatusCode, body)
			}
		})
	}
}
