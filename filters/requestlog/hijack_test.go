package requestlog_test

import (
	"bufio"
	"fmt"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/requestlog"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestHijackedRecord: a request whose handler took its connection over
// is logged with the status set before it was taken, which the taker
// sends (a tunnel's 200), or 101 (an upgrade's switch, which the taker
// writes itself), and no bytes: what went over the connection taken is
// not the response's.
func TestHijackedRecord(t *testing.T) {
	var logs *wharftest.LogRecorder
	take := func(status int, answer string) api.HandlerFunc {
		return func(w api.Response, r *api.Request) error {
			if status != 0 {
				w.SetStatus(status)
			}
			conn, rw, err := api.Hijack(w)
			if err != nil {
				return err
			}
			defer conn.Close()
			rw.WriteString(answer)
			return rw.Flush()
		}
	}
	build := func(c *container.Container) {
		c.Filter("/*", requestlog.New(requestlog.Config{Logger: slogFor(&logs)}))
		c.Handle("/upgrade", take(0, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\nhello"))
		c.Handle("/tunnel", take(http.StatusOK, "HTTP/1.1 200 OK\r\n\r\nhello"))
	}
	tests := []struct {
		path   string
		status int
	}{
		{"/upgrade", http.StatusSwitchingProtocols},
		{"/tunnel", http.StatusOK},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			nc := s.DialHTTP1(t) // skips the modes without HTTP/1.1
			fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", tt.path)
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			nc.Close()
			if err != nil || resp.StatusCode != tt.status {
				t.Fatalf("%s: %v, %v; want the taker's %d", tt.path, resp, err, tt.status)
			}
			rec := waitRecord(t, logs, "GET", tt.path)
			if st, n := rec.Attrs["status"].Int64(), rec.Attrs["bytes"].Int64(); st != int64(tt.status) || n != 0 {
				t.Errorf("%s: status %d, bytes %d; want %d, 0", tt.path, st, n, tt.status)
			}
		}
	})
}
