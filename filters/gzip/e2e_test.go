package gzip_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

// page is a compressible file for package static to serve behind the
// filter.
var page = strings.Repeat("<p>compress me</p>\n", 200)

// staticBehindGzip serves page as /a.html with package static behind the
// filter, and returns a function that GETs it with the given header fields
// (key, value, ...) and reads the body whole, as sent: the client does not
// decompress.
func staticBehindGzip(t *testing.T) func(kv ...string) (*http.Response, []byte) {
	do := staticBehindGzipDo(t)
	return func(kv ...string) (*http.Response, []byte) {
		t.Helper()
		return do("GET", kv...)
	}
}

// staticBehindGzipDo is staticBehindGzip for any method.
func staticBehindGzipDo(t *testing.T) func(method string, kv ...string) (*http.Response, []byte) {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", gzip.New(gzip.Config{}))
	c.Handle("/*", static.New(fstest.MapFS{"a.html": {Data: []byte(page), ModTime: time.Unix(1e9, 0)}}, static.Config{}))
	addr := wharftest.Listen(t, c)
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	return func(method string, kv ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+"/a.html", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			req.Header.Add(kv[i], kv[i+1])
		}
		resp, err := client.Do(req)
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
}

// A compressed response is another representation than the file's bytes,
// so it must not carry their strong ETag: a client resuming a compressed
// download with If-Range and that tag would otherwise be sent the file's
// bytes from the offset, which it would append to its gzip prefix.
func TestCompressedETagDiffers(t *testing.T) {
	get := staticBehindGzip(t)
	gz, _ := get("Accept-Encoding", "gzip")
	id, body := get()
	if gz.Header.Get("Content-Encoding") != "gzip" || id.Header.Get("Content-Encoding") != "" {
		t.Fatalf("compressed response %v, identity response %v", gz.Header, id.Header)
	}
	gzTag, idTag := gz.Header.Get("Etag"), id.Header.Get("Etag")
	if string(body) != page || idTag == "" || strings.Contains(idTag, "--gzip") {
		t.Fatalf("the identity response changed: ETag %s, %d bytes", idTag, len(body))
	}
	if want := strings.TrimSuffix(idTag, `"`) + `--gzip"`; gzTag != want {
		t.Fatalf("compressed response's ETag %s, want %s", gzTag, want)
	}

	// The resumed download: the tag names the gzip bytes, so the range
	// must not be served from the file's; the whole gzip body comes again.
	resp, b := get("Accept-Encoding", "gzip", "Range", "bytes=10-", "If-Range", gzTag)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Etag") != gzTag {
		t.Fatalf("If-Range with the compressed ETag: %d %v", resp.StatusCode, resp.Header)
	}
	if gunzip(t, b) != page {
		t.Fatal("the whole compressed body differs from the file")
	}

	// The file's own tag still validates a range of the file's bytes.
	resp, b = get("Range", "bytes=10-", "If-Range", idTag)
	if resp.StatusCode != http.StatusPartialContent || string(b) != page[10:] {
		t.Fatalf("If-Range with the identity ETag: %d, %d bytes", resp.StatusCode, len(b))
	}
}

// A client revalidating its compressed copy with the tag it was given gets
// 304 with that tag (RFC 9110 §15.4.5: the ETag the 200 would carry),
// though the handler compared the file's own tag; a client that does not
// accept gzip is not told that the compressed copy is current.
func TestCompressedETagRevalidates(t *testing.T) {
	get := staticBehindGzip(t)
	gz, _ := get("Accept-Encoding", "gzip")
	id, _ := get()
	gzTag, idTag := gz.Header.Get("Etag"), id.Header.Get("Etag")
	weakGz := "W/" + gzTag
	tests := []struct {
		name       string
		kv         []string
		wantStatus int
		wantTag    string
	}{
		{"compressed tag", []string{"Accept-Encoding", "gzip", "If-None-Match", gzTag}, 304, gzTag},
		{"compressed tag in a list", []string{"Accept-Encoding", "gzip", "If-None-Match", `"other", ` + gzTag}, 304, gzTag},
		{"compressed tag weak", []string{"Accept-Encoding", "gzip", "If-None-Match", weakGz}, 304, gzTag},
		{"both tags, compressed", []string{"Accept-Encoding", "gzip", "If-None-Match", idTag + ", " + gzTag}, 304, gzTag},
		{"both tags, identity", []string{"If-None-Match", idTag + ", " + gzTag}, 304, idTag},
		{"identity tag", []string{"If-None-Match", idTag}, 304, idTag},
		{"compressed tag, gzip not accepted", []string{"If-None-Match", gzTag}, 200, idTag},
		// The filter cannot tell whether the 200 would have been compressed.
		{"star", []string{"Accept-Encoding", "gzip", "If-None-Match", "*"}, 304, ""},
		{"other tag", []string{"Accept-Encoding", "gzip", "If-None-Match", `"other--gzip"`}, 200, gzTag},
		{"if-match compressed tag", []string{"Accept-Encoding", "gzip", "If-Match", gzTag}, 200, gzTag},
		{"if-match other tag", []string{"Accept-Encoding", "gzip", "If-Match", `"other--gzip"`}, 412, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := get(tt.kv...)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d (header %v)", resp.StatusCode, tt.wantStatus, resp.Header)
			}
			if tt.wantTag != "" && resp.Header.Get("Etag") != tt.wantTag {
				t.Errorf("ETag %s, want %s", resp.Header.Get("Etag"), tt.wantTag)
			}
			if resp.StatusCode == 200 {
				if resp.Header.Get("Content-Encoding") == "gzip" {
					b = []byte(gunzip(t, b))
				}
				if string(b) != page {
					t.Errorf("body differs from the file: %d bytes", len(b))
				}
			}
		})
	}
}

// A body written on a 204 or a 304 is refused by the container's Response
// (http.ErrBodyNotAllowed). Behind the filter the handler's Write gets the
// refusal too: the filter neither buffers the bytes, to fail the request
// with them when it ends, nor turns the answer into a 500. Bytes written
// before the status became 204 or 304 are dropped, as the container drops
// them.
func TestWriteOnBodilessStatus(t *testing.T) {
	got := make(chan error, 1)
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", gzip.New(gzip.Config{}))
	c.HandleFunc("/w", func(w api.Response, r *api.Request) error {
		code, _ := strconv.Atoi(r.QueryValue("code"))
		var err error
		switch r.QueryValue("write") {
		case "Write":
			w.SetStatus(code)
			_, err = w.Write([]byte("body"))
		case "WriteString":
			w.SetStatus(code)
			_, err = w.WriteString("body")
		case "before":
			if _, err = w.WriteString("body"); err == nil {
				err = w.SetStatus(code)
			}
		}
		select {
		case got <- err:
		default: // the test failed before reading the last one
		}
		return nil
	})
	addr := wharftest.Listen(t, c)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(client.CloseIdleConnections)
	for _, code := range []int{http.StatusNoContent, http.StatusNotModified} {
		for _, write := range []string{"Write", "WriteString", "before"} {
			name := strconv.Itoa(code) + " " + write
			req, _ := http.NewRequest("GET", "http://"+addr+"/w?code="+strconv.Itoa(code)+"&write="+write, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("%s: reading the body: %v", name, err)
			}
			werr := <-got
			if resp.StatusCode != code || len(b) != 0 {
				t.Errorf("%s: got %d with %d body bytes, want %d and none", name, resp.StatusCode, len(b), code)
			}
			if write == "before" {
				if werr != nil {
					t.Errorf("%s: %v", name, werr)
				}
			} else if !errors.Is(werr, http.ErrBodyNotAllowed) {
				t.Errorf("%s: write returned %v, want an error wrapping http.ErrBodyNotAllowed", name, werr)
			}
		}
	}
}

// A HEAD's head is a GET's (RFC 9110 §9.3.2): a cache that revalidates
// with HEAD, or a client that checks the encoding first, must see the
// encoding, the tag and the Vary that the GET of the same request gets.
func TestHeadOfStaticAsGet(t *testing.T) {
	do := staticBehindGzipDo(t)
	for _, ae := range []string{"gzip", ""} {
		var kv []string
		if ae != "" {
			kv = []string{"Accept-Encoding", ae}
		}
		get, _ := do("GET", kv...)
		head, body := do("HEAD", kv...)
		if len(body) != 0 {
			t.Errorf("Accept-Encoding %q: HEAD sent %d body bytes", ae, len(body))
		}
		for _, k := range []string{"Content-Encoding", "Vary", "Etag", "Content-Type", "Accept-Ranges"} {
			if g, h := get.Header.Values(k), head.Header.Values(k); !slices.Equal(g, h) {
				t.Errorf("Accept-Encoding %q: %s is %q on GET, %q on HEAD", ae, k, g, h)
			}
		}
		// RFC 9110 §8.6: a HEAD may leave Content-Length out, but one it
		// sends must be the GET's.
		if head.ContentLength >= 0 && head.ContentLength != get.ContentLength {
			t.Errorf("Accept-Encoding %q: Content-Length %d on GET, %d on HEAD", ae, get.ContentLength, head.ContentLength)
		}
	}
}

// A HEAD that a GET would compress cannot know the compressed length, so
// its head declares none (the package documentation: it "loses
// Content-Length"). It declared "Content-Length: 0", the bytes the filter
// passed on, which tells a client the GET's body is empty.
func TestHeadCompressedDeclaresNoLength(t *testing.T) {
	do := staticBehindGzipDo(t)
	get, body := do("GET", "Accept-Encoding", "gzip")
	if get.Header.Get("Content-Encoding") != "gzip" || len(body) == 0 {
		t.Fatalf("GET: %v, %d bytes", get.Header, len(body))
	}
	head, _ := do("HEAD", "Accept-Encoding", "gzip")
	if head.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("HEAD: %v", head.Header)
	}
	if head.ContentLength != -1 && head.ContentLength != get.ContentLength {
		t.Errorf("HEAD declares Content-Length %d; the GET's body is %d bytes (Content-Length %d)", head.ContentLength, len(body), get.ContentLength)
	}
}
