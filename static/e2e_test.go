package static_test

import (
	"bufio"
	"io"
	"io/fs"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

// siteFS is a tree with a public part, served under /static/, and a
// private one that no request may reach.
func siteFS() fstest.MapFS {
	fsys := fstest.MapFS{
		"private/secret.txt": {Data: []byte("SECRET"), ModTime: modTime},
		"private/.env":       {Data: []byte("SECRET"), ModTime: modTime},
	}
	for name, f := range testFS() {
		fsys["public/"+name] = f
	}
	return fsys
}

func buildSite(t *testing.T) func(c *container.Container) {
	return func(c *container.Container) {
		pub, err := fs.Sub(siteFS(), "public")
		if err != nil {
			t.Fatal(err)
		}
		c.Handle("/static/*", static.New(pub, static.Config{CacheControl: "max-age=60"}))
	}
}

func get(t *testing.T, s *modes.Server, method, path string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return s.Do(t, req)
}

// TestModes serves files on every protocol: whole, HEAD, 304, one range,
// several (parsed as a client does), 416, a precompressed sibling, a
// directory's redirect and index, a refusal.
func TestModes(t *testing.T) {
	modes.Run(t, buildSite(t), func(t *testing.T, s *modes.Server) {
		resp, body := get(t, s, "GET", "/static/big.bin")
		if resp.StatusCode != 200 || string(body) != string(bigBody) || resp.ContentLength != 1000 {
			t.Fatalf("GET: %d, %d bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
		}
		etag := resp.Header.Get("Etag")
		if etag == "" || resp.Header.Get("Last-Modified") != lastMod || resp.Header.Get("Cache-Control") != "max-age=60" {
			t.Errorf("GET headers: %v", resp.Header)
		}

		resp, body = get(t, s, "HEAD", "/static/big.bin")
		if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != 1000 || resp.Header.Get("Etag") != etag {
			t.Errorf("HEAD: %d, %d bytes, Content-Length %d, ETag %q", resp.StatusCode, len(body), resp.ContentLength, resp.Header.Get("Etag"))
		}

		resp, body = get(t, s, "GET", "/static/big.bin", "If-None-Match", etag)
		if resp.StatusCode != 304 || len(body) != 0 || resp.Header.Get("Etag") != etag || resp.Header.Get("Cache-Control") != "max-age=60" {
			t.Errorf("If-None-Match: %d, %d bytes, %v", resp.StatusCode, len(body), resp.Header)
		}

		resp, body = get(t, s, "GET", "/static/big.bin", "Range", "bytes=10-19")
		if resp.StatusCode != 206 || string(body) != string(bigBody[10:20]) || resp.Header.Get("Content-Range") != "bytes 10-19/1000" || resp.ContentLength != 10 {
			t.Errorf("Range: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Range"))
		}

		resp, body = get(t, s, "GET", "/static/big.bin", "Range", "bytes=0-2,-2")
		if resp.StatusCode != 206 || resp.ContentLength != int64(len(body)) {
			t.Fatalf("Ranges: %d, Content-Length %d, %d bytes", resp.StatusCode, resp.ContentLength, len(body))
		}
		parts := readParts(t, resp.Header.Get("Content-Type"), body)
		if len(parts) != 2 || parts[0] != (part{"bytes 0-2/1000", "application/octet-stream", "abc"}) ||
			parts[1] != (part{"bytes 998-999/1000", "application/octet-stream", string(bigBody[998:])}) {
			t.Errorf("Ranges: parts %v", parts)
		}

		resp, _ = get(t, s, "GET", "/static/big.bin", "Range", "bytes=5000-")
		if resp.StatusCode != 416 || resp.Header.Get("Content-Range") != "bytes */1000" {
			t.Errorf("unsatisfiable: %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
		}

		resp, body = get(t, s, "GET", "/static/app.js", "Accept-Encoding", "br")
		if resp.StatusCode != 200 || string(body) != "BROTLI" || resp.Header.Get("Content-Encoding") != "br" || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("br: %d %q %v", resp.StatusCode, body, resp.Header)
		}

		resp, _ = get(t, s, "GET", "/static/a?q=1")
		if resp.StatusCode != 301 || resp.Header.Get("Location") != "/static/a/?q=1" {
			t.Errorf("directory: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = get(t, s, "GET", "/static/a/")
		if resp.StatusCode != 200 || string(body) != "<p>a</p>" {
			t.Errorf("index: %d %q", resp.StatusCode, body)
		}

		resp, _ = get(t, s, "GET", "/static/.env")
		if resp.StatusCode != 404 {
			t.Errorf("dot file: %d", resp.StatusCode)
		}
		resp, _ = get(t, s, "POST", "/static/big.bin")
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}

// TestRawTraversal sends paths as bytes, since clients clean them before
// sending: none reaches the private part of the tree, whatever the
// encoding; each is answered 404 (400 by the connector for a target it
// cannot decode, by the container for an escaped separator, dot segment
// or control character unless WithAmbiguousPaths lets it through to the
// handler, and by the container for an escaped NUL in any case).
func TestRawTraversal(t *testing.T) {
	ambiguous := map[string]bool{
		"/static/%2e%2e/private/secret.txt":         true,
		"/static/%2E%2E/%2e%2e/private/secret.txt":  true,
		"/static/.%2e/private/secret.txt":           true,
		"/static/..%2fprivate%2fsecret.txt":         true,
		"/static/%2e%2e%2fprivate%2fsecret.txt":     true,
		"/static/..%5cprivate%5csecret.txt":         true,
		"/static/%5c..%5c..%5cprivate%5csecret.txt": true,
		"/static/a/b.css%0a":                        true,
		"/static/%0a/../private/secret.txt":         true,
	}
	targets := []string{
		"/static/../private/secret.txt",
		"/static/../../private/secret.txt",
		"/static/%2e%2e/private/secret.txt",
		"/static/%2E%2E/%2e%2e/private/secret.txt",
		"/static/.%2e/private/secret.txt",
		"/static/..%2fprivate%2fsecret.txt",
		"/static/%2e%2e%2fprivate%2fsecret.txt",
		"/static/..%5cprivate%5csecret.txt",
		"/static/..\\private\\secret.txt",
		"/static/%5c..%5c..%5cprivate%5csecret.txt",
		"/static/a/b.css%00",
		"/static/%00/../private/secret.txt",
		"/static/%2e%2e%00/private/secret.txt",
		"/static/a/b.css%0a",
		"/static/%0a/../private/secret.txt",
		"/static//../private/secret.txt",
		"/static/%252e%252e/private/secret.txt",
		"/static/..;/private/secret.txt",
		"/static/.env",
		"/static/%2eenv",
		"/static/a/.git/config",
		"/private/secret.txt",
		"/static/%zz",
	}
	for _, allow := range []bool{false, true} {
		name, opts := "default", []container.Option(nil)
		if allow {
			name, opts = "WithAmbiguousPaths", []container.Option{container.WithAmbiguousPaths()}
		}
		t.Run(name, func(t *testing.T) {
			testRawTraversal(t, targets, ambiguous, allow, opts)
		})
	}
}

func testRawTraversal(t *testing.T, targets []string, ambiguous map[string]bool, allow bool, opts []container.Option) {
	modes.Run(t, buildSite(t), func(t *testing.T, s *modes.Server) {
		for _, target := range targets {
			nc := s.DialHTTP1(t)
			if _, err := io.WriteString(nc, "GET "+target+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatalf("%s: %v", target, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			nc.Close()
			want := http.StatusNotFound
			if strings.Contains(target, "%zz") {
				want = http.StatusBadRequest // not a percent-encoding: the connector refuses it
			}
			if ambiguous[target] && !allow || strings.Contains(target, "%00") {
				want = http.StatusBadRequest // the container refuses it before mapping
			}
			if resp.StatusCode != want {
				t.Errorf("%s: %d, want %d", target, resp.StatusCode, want)
			}
			if strings.Contains(string(body), "SECRET") || strings.Contains(string(body), "[core]") {
				t.Errorf("%s: served a private file", target)
			}
		}
		// The same connection code serves a good path: the refusals above
		// are not a broken server.
		nc := s.DialHTTP1(t)
		defer nc.Close()
		io.WriteString(nc, "GET /static/a/%62.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "body{}" {
			t.Errorf("a good path: %d %q", resp.StatusCode, body)
		}
	}, opts...)
}

// TestCurl asks curl, an independent client, for one range.
func TestCurl(t *testing.T) {
	curl := wharftest.Tool(t, "curl", "apt-get install curl")
	c := container.New()
	buildSite(t)(c)
	s := modes.Start(t, modes.H1, c)
	out, err := exec.CommandContext(t.Context(), curl, "-sS", "-r", "100-109", "-w", "\n%{http_code}", s.URL+"/static/big.bin").Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	if want := string(bigBody[100:110]) + "\n206"; string(out) != want {
		t.Errorf("curl: %q, want %q", out, want)
	}
}
