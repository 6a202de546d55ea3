package gzip_test

import (
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
)

// A handler may set header fields until its response is committed
// (api.Response), after it wrote the body too. Behind the filter, a
// Content-Length, an ETag or an Accept-Ranges set once compression had
// begun went out as set, describing the handler's bytes: the length of
// the uncompressed body framed a compressed one (the client waited for
// bytes that never came, or an HTTP/2 stream was reset), the strong
// ETag was shared by both representations, and a Vary set in place of
// the filter's lost Accept-Encoding, so that a cache could give the
// compressed copy to a client that does not accept it. The head that
// goes is the compressed representation's, whenever it goes: at the
// end, at a Flush, or when the body outgrows the container's buffer
// between two writes. The uncompressed one keeps the Vary too.
func TestLateFieldsKeepCompressed(t *testing.T) {
	// Letters in no pattern: their compressed form outgrows the output
	// buffer, which commits the head in the middle of the second write.
	rnd := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 64<<10)
	for i := range noise {
		noise[i] = 'a' + byte(rnd.IntN(26))
	}
	tests := []struct {
		name, method, ae string
		body             string // what the client gets, uncompressed
	}{
		{name: "after", method: "GET", ae: "gzip", body: text},
		{name: "between", method: "GET", ae: "gzip", body: text + string(noise)},
		{name: "flushed", method: "GET", ae: "gzip", body: text},
		{name: "head", method: "HEAD", ae: "gzip"},
		{name: "identity", method: "GET", ae: "identity", body: text[:300]},
	}
	build := func(c *container.Container) {
		c.Filter("/*", gzip.New(gzip.Config{MinSize: 256})) // an uncompressed body within the buffer
		c.HandleFunc("/late", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Vary", "Origin")
			body := text
			if r.QueryValue("case") == "identity" {
				body = text[:300]
			}
			if _, err := w.WriteString(body); err != nil {
				return err
			}
			n := len(body)
			if r.QueryValue("case") == "between" {
				n += len(noise)
			}
			w.Header().Set("Content-Length", strconv.Itoa(n))
			w.Header().Set("Etag", `"late"`)
			w.Header().Set("Accept-Ranges", "bytes")
			w.Header().Set("Vary", "Origin")
			switch r.QueryValue("case") {
			case "between":
				_, err := w.Write(noise)
				return err
			case "flushed":
				return w.Flush()
			}
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, s.URL+"/late?case="+tt.name, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept-Encoding", tt.ae) // by hand: the client does not decompress
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Errorf("%s: reading the body (%d bytes, Content-Length %d): %v", tt.name, len(b), resp.ContentLength, err)
				continue
			}
			h := resp.Header
			if got := h.Values("Vary"); !slices.Contains(got, "Accept-Encoding") || !slices.Contains(got, "Origin") {
				t.Errorf("%s: Vary %q", tt.name, got)
			}
			if tt.ae == "identity" {
				if h.Get("Content-Encoding") != "" || string(b) != tt.body || h.Get("Etag") != `"late"` {
					t.Errorf("%s: %v, %d bytes", tt.name, h, len(b))
				}
				continue
			}
			if h.Get("Content-Encoding") != "gzip" {
				t.Errorf("%s: not compressed: %v", tt.name, h)
				continue
			}
			if tt.method == "GET" && gunzip(t, b) != tt.body {
				t.Errorf("%s: the body differs", tt.name)
			}
			if resp.ContentLength != -1 && resp.ContentLength != int64(len(b)) {
				t.Errorf("%s: Content-Length %d, the compressed body is %d bytes", tt.name, resp.ContentLength, len(b))
			}
			if got := h.Get("Etag"); got != `"late--gzip"` {
				t.Errorf("%s: ETag %s, want the handler's marked", tt.name, got)
			}
			if got := h.Get("Accept-Ranges"); got != "" {
				t.Errorf("%s: Accept-Ranges %q on a compressed response", tt.name, got)
			}
		}
	}, container.WithOutputBufferSize(512))
}
