package gzip_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestAroundTimeout: below a timeout filter the chain writes into the
// timeout's buffer, which a task copies into the container's Response,
// so a gzip filter added before the timeout filter compresses nothing
// (and adds no Vary), and one added after it compresses as it does
// without a timeout, as the package doc says. A net/http program puts
// its gzip middleware around http.TimeoutHandler, the first order.
func TestAroundTimeout(t *testing.T) {
	for _, tt := range []struct {
		name     string
		above    bool // the gzip filter is added before the timeout filter
		encoding string
		vary     string
	}{
		{"gzip above timeout", true, "", ""},
		{"gzip below timeout", false, "gzip", "Accept-Encoding"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gz := gzip.New(gzip.Config{})
			to := timeout.New(timeout.Config{Timeout: time.Minute})
			build := func(c *container.Container) {
				if tt.above {
					c.Filter("/*", gz)
					c.Filter("/*", to)
				} else {
					c.Filter("/*", to)
					c.Filter("/*", gz)
				}
				c.HandleFunc("/json", func(w api.Response, r *api.Request) error {
					api.SetContentType(w, "application/json")
					for i := range 200 {
						if _, err := fmt.Fprintf(w, "{\"id\":%d,\"title\":\"item\"}\n", i); err != nil {
							return err
						}
					}
					return nil
				})
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL+"/json", nil)
				req.Header.Set("Accept-Encoding", "gzip")
				resp, _ := s.Do(t, req)
				ce, vary := resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary")
				if resp.StatusCode != http.StatusOK || ce != tt.encoding || vary != tt.vary {
					t.Errorf("%d, Content-Encoding %q, Vary %q; want 200, %q, %q", resp.StatusCode, ce, vary, tt.encoding, tt.vary)
				}
			})
		})
	}
}
