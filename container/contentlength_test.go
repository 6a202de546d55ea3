package container_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestContentLength proves, on every protocol, what Request.ContentLength
// says: 0 for a request with no body, as net/http's server says, the
// declared length, and -1 for a body of unknown length.
func TestContentLength(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/length", func(w api.Response, r *api.Request) error {
			b, err := io.ReadAll(r.Body())
			if err != nil {
				return err
			}
			_, err = io.WriteString(w, strconv.FormatInt(r.ContentLength(), 10)+" "+string(b))
			return err
		})
	}
	tests := []struct {
		name   string
		method string
		body   func() io.Reader
		want   string
	}{
		{"GET, no body", "GET", nil, "0 "},
		{"DELETE, no body", "DELETE", nil, "0 "},
		{"POST, empty body", "POST", func() io.Reader { return http.NoBody }, "0 "},
		{"POST, declared", "POST", func() io.Reader { return strings.NewReader("abc") }, "3 abc"},
		// A reader of no known length: chunked over HTTP/1.1, no
		// Content-Length field over HTTP/2 and HTTP/3.
		{"POST, undeclared", "POST", func() io.Reader { return io.MultiReader(strings.NewReader("abc")) }, "-1 abc"},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			if s.Mode == modes.H3 && tt.body == nil {
				// Over HTTP/3 a request has no body when its HEADERS
				// end the stream, and quic-go's client now and then
				// sends the stream's FIN in a packet of its own, which
				// no server can tell from a body still to come (-1):
				// package h3's TestContentLengthNoBody sends them
				// together.
				continue
			}
			var body io.Reader
			if tt.body != nil {
				body = tt.body()
			}
			req, err := http.NewRequest(tt.method, s.URL+"/length", body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || string(b) != tt.want {
				t.Errorf("%s: %d %q (%v), want 200 %q", tt.name, resp.StatusCode, b, err, tt.want)
			}
		}
	})
}
