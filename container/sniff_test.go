package container_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// pageWriter writes a whole page with one Output.Write, as a handler that
// renders into a buffer first does, then completes.
type pageWriter struct {
	out  *async.Output
	page string
	done bool
}

func (p *pageWriter) OnWritePossible(api.Response) {
	if p.done {
		return
	}
	p.done = true
	_, _ = p.out.Write([]byte(p.page))
	p.out.Complete()
}

func (p *pageWriter) OnError(api.Response, error) {}

// TestSniffFirstWrite: a body without a Content-Type gets the type its
// first bytes suggest, as net/http's does, whether it fits the output
// buffer or its first write alone is larger than the buffer.
func TestSniffFirstWrite(t *testing.T) {
	page := "<!doctype html><html><body>" + strings.Repeat("x", container.DefaultOutputBufferSize) + "</body></html>"
	handlers := map[string]api.HandlerFunc{
		"/write": func(w api.Response, r *api.Request) error {
			_, err := w.Write([]byte(page))
			return err
		},
		"/writestring": func(w api.Response, r *api.Request) error {
			_, err := w.WriteString(page)
			return err
		},
		"/small-then-large": func(w api.Response, r *api.Request) error {
			if _, err := w.WriteString(page[:10]); err != nil {
				return err
			}
			_, err := w.WriteString(page[10:])
			return err
		},
		"/fits": func(w api.Response, r *api.Request) error {
			_, err := w.WriteString(page[:1000])
			return err
		},
		"/output": func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			p := &pageWriter{page: page}
			p.out, err = a.SetWriteListener(p)
			return err
		},
	}
	build := func(c *container.Container) {
		for path, h := range handlers {
			c.Handle(path, h)
		}
	}
	tests := []struct{ path, body string }{
		{"/write", page},
		{"/writestring", page},
		{"/small-then-large", page},
		{"/fits", page[:1000]},
		{"/output", page},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tc := range tests {
			code, body, h := get(t, s, tc.path)
			if code != http.StatusOK || body != tc.body {
				t.Errorf("GET %s = %d, %d bytes; want 200, %d bytes", tc.path, code, len(body), len(tc.body))
			}
			if got, want := h.Get("Content-Type"), "text/html; charset=utf-8"; got != want {
				t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, want)
			}
		}
	})
}

// A 304 (or 204) whose handler wrote before setting it sends none of those
// bytes, and so no type sniffed from them.
func TestNoSniffWithoutBody(t *testing.T) {
	for _, status := range []int{http.StatusNotModified, http.StatusNoContent} {
		c := container.New()
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			if _, err := w.WriteString("<!doctype html>"); err != nil {
				return err
			}
			return w.SetStatus(status)
		})
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != status || rec.Header().Get("Content-Type") != "" || rec.Body.Len() != 0 {
			t.Errorf("%d: got %d, Content-Type %q, %d body bytes; want no type, no body", status, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
		}
	}
}

// A body with a Content-Encoding and no Content-Type gets no sniffed
// type, as on net/http's server (golang.org/issue/31753): its first bytes
// are the coding's ("application/x-gzip" for gzip), not the content's, and
// a browser that decodes the body would then take the content for a gzip
// file to download. This holds for a Wharf handler and a mounted net/http
// one alike.
func TestNoSniffEncodedBody(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("<!doctype html><html><body>hello</body></html>"))
	zw.Close()
	build := func(c *container.Container) {
		c.HandleFunc("/wharf", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Encoding", "gzip")
			_, err := w.Write(gz.Bytes())
			return err
		})
		c.Mount("/nethttp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, path := range []string{"/wharf", "/nethttp"} {
			req, _ := http.NewRequest("GET", s.URL+path, nil)
			// Asked for by the test, the coding is not undone by the
			// client, which would drop the Content-Encoding field.
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(body, gz.Bytes()) || resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("GET %s: %d bytes, Content-Encoding %q; want the %d gzip bytes", path, len(body), resp.Header.Get("Content-Encoding"), gz.Len())
			}
			if ct, ok := resp.Header["Content-Type"]; ok {
				t.Errorf("GET %s: Content-Type %q sniffed from the coded bytes, want none", path, ct)
			}
		}
	})
}
