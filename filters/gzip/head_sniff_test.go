package gzip_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
)

// A HEAD whose handler sets no Content-Type and writes no body, only a
// Content-Length, gives the filter nothing to sniff: it must not claim the
// compression, and the type, that no bytes say. The GET of a PNG is sent
// as it is; its HEAD must not say gzip and text/plain.
func TestHeadWithoutTypeNotSniffed(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 3000)...)
	txt := bytes.Repeat([]byte("compress me\n"), 300)
	serve := func(ctype string, body []byte) api.HandlerFunc {
		return func(w api.Response, r *api.Request) error {
			if ctype != "" {
				w.Header().Set("Content-Type", ctype)
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			if r.Method() == http.MethodHead {
				return nil
			}
			_, err := w.Write(body)
			return err
		}
	}
	build := func(c *container.Container) {
		c.Filter("/*", gzip.New(gzip.Config{}))
		c.Handle("/png", serve("", png))
		c.Handle("/text", serve("text/plain; charset=utf-8", txt))
	}
	tests := []struct {
		path         string
		wantEncoding string
	}{
		{"/png", ""},
		{"/text", "gzip"},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		do := func(method, path string) *http.Response {
			req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept-Encoding", "gzip") // set by hand: the client does not decompress
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp
		}
		for _, tt := range tests {
			get, head := do("GET", tt.path), do("HEAD", tt.path)
			if ge := get.Header.Get("Content-Encoding"); ge != tt.wantEncoding {
				t.Fatalf("GET %s: Content-Encoding %q, want %q", tt.path, ge, tt.wantEncoding)
			}
			if he := head.Header.Get("Content-Encoding"); he != tt.wantEncoding {
				t.Errorf("HEAD %s: Content-Encoding %q, the GET's %q", tt.path, he, tt.wantEncoding)
			}
			if ht := head.Header.Get("Content-Type"); ht != "" && ht != get.Header.Get("Content-Type") {
				t.Errorf("HEAD %s: Content-Type %q, the GET's %q", tt.path, ht, get.Header.Get("Content-Type"))
			}
			if tt.wantEncoding == "" && head.ContentLength != int64(len(png)) {
				t.Errorf("HEAD %s: Content-Length %d, want %d", tt.path, head.ContentLength, len(png))
			}
		}
	})
}
