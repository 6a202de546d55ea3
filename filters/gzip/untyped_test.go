package gzip_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
)

// A handler that sets Content-Type to nil asks for no type and no
// sniffing, as with net/http's ResponseWriter, and the container sends
// none. The filter sniffed such a body to decide, and then sent the type
// it sniffed: the compressed representation said text/html where the
// uncompressed one said nothing, which a browser told not to sniff
// (X-Content-Type-Options: nosniff) renders only in the first case.
func TestNilContentTypeStaysUntyped(t *testing.T) {
	html := "<!DOCTYPE html><html><body>" + text + "</body></html>"
	build := func(c *container.Container) {
		c.Filter("/*", gzip.New(gzip.Config{}))
		c.HandleFunc("/untyped", func(w api.Response, r *api.Request) error {
			w.Header()["Content-Type"] = nil
			w.Header().Set("X-Content-Type-Options", "nosniff")
			_, err := w.WriteString(html)
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, ae := range []string{"gzip", "identity"} {
			req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+"/untyped", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept-Encoding", ae) // by hand: the client does not decompress
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if ae == "gzip" {
				if resp.Header.Get("Content-Encoding") != "gzip" {
					t.Fatalf("not compressed: %v", resp.Header)
				}
				b = []byte(gunzip(t, b))
			}
			if string(b) != html {
				t.Errorf("Accept-Encoding %s: the body differs", ae)
			}
			if ct, ok := resp.Header["Content-Type"]; ok {
				t.Errorf("Accept-Encoding %s: Content-Type %q, where the handler asked for none", ae, ct)
			}
		}
	})
}
