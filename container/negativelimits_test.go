package container_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestNegativeHeaderLimitsMeanDefaults sets each of connector.Config's
// header limits negative and checks on every mode that a request within
// the default limits is served, as HTTP/1.1's parser always read a
// negative limit (h1.Limits: the default). Before, the negative value
// went to the protocols as it was: HTTP/1.1 bounded its read buffer by
// MaxHeaderBytes -1 plus 4 KiB and answered a head of 6 KiB 431, and
// HTTP/2 and HTTP/3 refused every request (MaxURILength, MaxHeaders -1:
// every target and every header list is longer) or every head of a few
// KiB (MaxHeaderBytes).
func TestNegativeHeaderLimitsMeanDefaults(t *testing.T) {
	tests := []struct {
		name string
		cfg  connector.Config
	}{
		{"MaxHeaderBytes", connector.Config{MaxHeaderBytes: -1}},
		{"MaxURILength", connector.Config{MaxURILength: -1}},
		{"MaxHeaders", connector.Config{MaxHeaders: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			modes.Run(t, func(c *container.Container) {
				c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
					_, err := w.WriteString("hello " + r.QueryValue("q"))
					return err
				})
			}, func(t *testing.T, s *modes.Server) {
				// 6 KiB of fields and a 1 KiB target: under the defaults
				// (16 KiB, 8 KiB), over what a 4 KiB buffer holds.
				req, err := http.NewRequest("GET", s.URL+"/hello?q="+strings.Repeat("q", 1<<10), nil)
				if err != nil {
					t.Fatal(err)
				}
				for i := range 3 {
					req.Header.Set("X-Big-"+string(rune('a'+i)), strings.Repeat("a", 2<<10))
				}
				resp, err := s.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != http.StatusOK || string(b) != "hello "+strings.Repeat("q", 1<<10) {
					t.Fatalf("status %d, body %.60q; want 200 and the query", resp.StatusCode, b)
				}
			}, container.WithConnector(tt.cfg))
		})
	}
}
