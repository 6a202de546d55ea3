package gzip_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/static"
)

// A 206 carries the Vary the 200 to the same request would (RFC 9110
// §15.3.7). The filter sends ranges as the handler cut them, but the 200
// of a compressible file varies on Accept-Encoding, and the 206 did not
// say so: a part's length and multipart/byteranges hide what the 200
// would be, so package static describes it to the filter. The ranges
// themselves are http.ServeContent's.
func TestPartialVariesAsTheOK(t *testing.T) {
	mod := time.Unix(1e9, 0)
	img := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1, 2, 3}, 1000)...)
	small := "short text, below MinSize"
	files := map[string][]byte{
		"/a.html":    []byte(page),
		"/img.png":   img,
		"/small.txt": []byte(small),
	}
	fsys := fstest.MapFS{}
	for name, b := range files {
		fsys[name[1:]] = &fstest.MapFile{Data: b, ModTime: mod}
	}
	build := func(c *container.Container) {
		c.Filter("/*", gzip.New(gzip.Config{}))
		c.Handle("/*", static.New(fsys, static.Config{}))
	}
	tests := []struct {
		name, path, accept, rng string
		wantVary                bool
	}{
		{"one range", "/a.html", "gzip", "bytes=10-19", true},
		{"one range, gzip not accepted", "/a.html", "identity", "bytes=10-19", true},
		{"one range, past MinSize", "/a.html", "gzip", "bytes=0-2999", true},
		{"ranges", "/a.html", "gzip", "bytes=0-9,100-109", true},
		{"not compressible", "/img.png", "gzip", "bytes=10-19", false},
		{"ranges, not compressible", "/img.png", "gzip", "bytes=0-9,100-109", false},
		{"below MinSize", "/small.txt", "gzip", "bytes=1-3", false},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		do := func(path string, kv ...string) (*http.Response, []byte) {
			req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				req.Header.Set(kv[i], kv[i+1]) // Accept-Encoding by hand: the client does not decompress
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp, b
		}
		for _, tt := range tests {
			ok, _ := do(tt.path, "Accept-Encoding", tt.accept)
			part, body := do(tt.path, "Accept-Encoding", tt.accept, "Range", tt.rng)
			if ok.StatusCode != http.StatusOK || part.StatusCode != http.StatusPartialContent {
				t.Fatalf("%s: %d, then %d with Range", tt.name, ok.StatusCode, part.StatusCode)
			}
			if got := slices.Contains(ok.Header.Values("Vary"), "Accept-Encoding"); got != tt.wantVary {
				t.Errorf("%s: the 200's Vary is %q", tt.name, ok.Header.Values("Vary"))
			}
			if got, want := part.Header.Values("Vary"), ok.Header.Values("Vary"); !slices.Equal(got, want) {
				t.Errorf("%s: the 206's Vary is %q, the 200's %q", tt.name, got, want)
			}
			if ce := part.Header.Get("Content-Encoding"); ce != "" {
				t.Errorf("%s: the 206 has Content-Encoding %q", tt.name, ce)
			}

			ref := httptest.NewRecorder()
			refReq := httptest.NewRequest("GET", tt.path, nil)
			refReq.Header.Set("Range", tt.rng)
			http.ServeContent(ref, refReq, tt.path, mod, bytes.NewReader(files[tt.path]))
			if ref.Code != http.StatusPartialContent {
				t.Fatalf("%s: http.ServeContent answered %d", tt.name, ref.Code)
			}
			if got, want := part.Header.Get("Content-Range"), ref.Header().Get("Content-Range"); got != want {
				t.Errorf("%s: Content-Range %q, http.ServeContent's %q", tt.name, got, want)
			}
			if got, want := byteranges(t, part.Header.Get("Content-Type"), body), byteranges(t, ref.Header().Get("Content-Type"), ref.Body.Bytes()); !slices.Equal(got, want) {
				t.Errorf("%s: ranges %q, http.ServeContent's %q", tt.name, got, want)
			}
		}
	})
}

// byteranges returns a 206's body as its ranges: the parts of a
// multipart/byteranges body, each with its Content-Range and
// Content-Type, or else the body itself.
func byteranges(t *testing.T, ctype string, body []byte) []string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || mt != "multipart/byteranges" {
		return []string{string(body)}
	}
	var out []string
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{p.Header.Get("Content-Range"), p.Header.Get("Content-Type"), string(b)}, "|"))
	}
}
