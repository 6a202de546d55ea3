package formdata_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/formdata"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestEdgeBodies: what an attacker or an odd client sends beside the
// limits TestRejected covers, in both styles on every protocol: a ';'
// between URL-encoded pairs (refused, as Go has since 1.17), a bad escape
// (400 naming it), Content-Type parameters, a boundary of 70 and 71 bytes
// (RFC 2046's bound), a body cut inside a file already spooled, a GET
// with a body (a multipart one is parsed, as ParseMultipartForm parses
// it; a URL-encoded one is no form, as for Request.PostForm); and, over
// raw HTTP/1.1, a Content-Length shorter than the body. Nothing is left
// on disk.
func TestEdgeBodies(t *testing.T) {
	var dir string
	build := func(c *container.Container) {
		dir = t.TempDir()
		serveForms(c, map[string]formdata.Limits{"small": {MemoryThreshold: 16, TempDir: dir}})
	}
	const urlCT = "application/x-www-form-urlencoded"
	mp, mpCT := multipartBody(upload{name: "a", content: "1"}, upload{name: "f", filename: "f.bin", content: strings.Repeat("z", 100)})
	_, boundary, _ := strings.Cut(mpCT, "boundary=")
	withBoundary := func(n int) ([]byte, string) {
		b := strings.Repeat("b", n)
		return bytes.ReplaceAll(mp, []byte(boundary), []byte(b)), "multipart/form-data; boundary=" + b
	}
	b70, ct70 := withBoundary(70)
	b71, ct71 := withBoundary(71)
	cut := mp[:bytes.Index(mp, []byte("zzzz"))+50] // inside the file, past MemoryThreshold
	const parsed = "field a=\"1\"\nfile f=\"f.bin\" size=100/100 sha=bd747571 disk=true type=application/octet-stream"
	tests := []struct {
		name, method, ct string
		body             []byte
		code             int
		want             string // the body, or for an error a part of it
	}{
		{"semicolon separator", "POST", urlCT, []byte("a=1;b=2"), 400, "invalid semicolon separator"},
		{"bad escape", "POST", urlCT, []byte("a=%zz"), 400, `invalid URL escape "%zz"`},
		{"duplicate keys in order", "POST", urlCT, []byte("a=2&a=1"), 200, "field a=\"1\"\nfield a=\"2\""},
		{"charset parameter", "POST", urlCT + "; charset=UTF-8", []byte("a=%C3%A9"), 200, `field a="é"`},
		{"multipart with another parameter", "POST", "multipart/form-data; charset=utf-8; boundary=" + boundary, mp, 200, parsed},
		{"boundary of 70 bytes", "POST", ct70, b70, 200, parsed},
		{"boundary of 71 bytes", "POST", ct71, b71, 400, "invalid boundary"},
		{"empty boundary", "POST", "multipart/form-data; boundary=", mp, 400, "no boundary"},
		{"cut in a spooled file", "POST", mpCT, cut, 400, "malformed multipart body"},
		{"GET with a multipart body", "GET", mpCT, mp, 200, parsed},
		{"GET with a URL-encoded body", "GET", urlCT, []byte("a=1"), 200, ""},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			for _, style := range []string{"blocking", "async"} {
				req, _ := http.NewRequest(tt.method, s.URL+"/"+style+"/small", bytes.NewReader(tt.body))
				req.Header.Set("Content-Type", tt.ct)
				resp, err := s.Client.Do(req)
				if err != nil {
					t.Fatalf("%s (%s): %v", tt.name, style, err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.code || tt.code == 200 && string(got) != tt.want || !strings.Contains(string(got), tt.want) {
					t.Errorf("%s (%s) = %d %q, want %d %q", tt.name, style, resp.StatusCode, got, tt.code, tt.want)
				}
			}
		}
		waitEmpty(t, dir)
		// A Content-Length that stops inside the spooled file: the
		// connector ends the body there, and the rest of the bytes are
		// not the form's.
		for _, style := range []string{"blocking", "async"} {
			nc := s.DialHTTP1(t)
			nc.SetDeadline(time.Now().Add(20 * time.Second))
			fmt.Fprintf(nc, "POST /%s/small HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", style, mpCT, len(cut))
			nc.Write(mp)
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatalf("short Content-Length (%s): %v", style, err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			nc.Close()
			if resp.StatusCode != 400 || !strings.Contains(string(got), "malformed multipart body") {
				t.Errorf("short Content-Length (%s) = %d %q, want 400", style, resp.StatusCode, got)
			}
		}
		waitEmpty(t, dir)
	})
}
