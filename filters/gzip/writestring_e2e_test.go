package gzip_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestWriteStringCompressed: a body written with WriteString, in pieces
// smaller and larger than the buffer the filter copies strings through,
// after a few small ones or at once, arrives whole on every protocol.
func TestWriteStringCompressed(t *testing.T) {
	text := func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			b.WriteString(strconv.Itoa(i))
			b.WriteByte(' ')
		}
		return b.String()[:n]
	}
	build := func(c *container.Container) {
		c.Filter("/*", gzip.New(gzip.Config{}))
		c.HandleFunc("/s", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			piece, _ := strconv.Atoi(r.QueryValue("piece"))
			total, _ := strconv.Atoi(r.QueryValue("total"))
			if r.QueryValue("declare") != "" {
				w.Header().Set("Content-Length", strconv.Itoa(total))
			}
			body := text(total)
			for len(body) > 0 {
				n := min(piece, len(body))
				if _, err := w.WriteString(body[:n]); err != nil {
					return err
				}
				body = body[n:]
			}
			return nil
		})
	}
	tests := []struct {
		piece, total int
		declare      bool
	}{
		{100, 20000, false},
		{1000, 20000, true},
		{5000, 50000, false},
		{50000, 50000, true},
		{200000, 200000, false},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			u := s.URL + "/s?piece=" + strconv.Itoa(tt.piece) + "&total=" + strconv.Itoa(tt.total)
			if tt.declare {
				u += "&declare=1"
			}
			req, err := http.NewRequestWithContext(t.Context(), "GET", u, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("%+v: %v", tt, err)
			}
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("%+v: not compressed: %v", tt, resp.Header)
			}
			if got := gunzip(t, b); got != text(tt.total) {
				t.Errorf("%+v: %d bytes after gunzip, want %d as written", tt, len(got), tt.total)
			}
		}
	})
}
