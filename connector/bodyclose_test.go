package connector_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// A request body's Close ends the handler's reads, as net/http's body's
// does ("invalid Read on closed Body") and HTTP/2's: a read after it
// returns no byte and an error, and the unread rest is the connection's
// to discard, so that the next request is served as itself.
func TestReadAfterBodyClose(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/close", func(w api.Response, r *api.Request) error {
			b := make([]byte, 3)
			if _, err := io.ReadFull(r.Body(), b); err != nil {
				return err
			}
			r.Body().Close()
			n, err := r.Body().Read(make([]byte, 100))
			_, werr := fmt.Fprintf(w, "%s %d %t", b, n, err != nil)
			return werr
		})
		c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("hello")
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, size := range []int{10, 100 << 10} {
			resp, err := s.Client.Post(s.URL+"/close", "text/plain", strings.NewReader(strings.Repeat("a", size)))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(b) != "aaa 0 true" {
				t.Errorf("body of %d bytes: %d %q, want 200 \"aaa 0 true\" (the read after Close fails)", size, resp.StatusCode, b)
			}
			resp, err = s.Client.Get(s.URL + "/hello")
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(b) != "hello" {
				t.Errorf("next request: %d %q", resp.StatusCode, b)
			}
		}
	})
}
