package static_test

import (
	"embed"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/header"
	"github.com/wharf-go/wharf/static"
)

// exampleFS stands for an embed.FS or a directory.
var exampleFS = fstest.MapFS{
	"index.html":  {Data: []byte("<h1>Wharf</h1>"), ModTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	"css/app.css": {Data: []byte("body{margin:0}"), ModTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	"app.js":      {Data: []byte("console.log(1)"), ModTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	"app.js.br":   {Data: []byte("(brotli bytes)"), ModTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
}

//go:embed testdata/web
var web embed.FS

// Serve an embedded tree under /static/ and a directory at the default
// mapping: under a prefix the path after it names the file, under "/" the
// whole path does.
func Example_embed() {
	c := container.New()
	sub, err := fs.Sub(web, "testdata/web")
	if err != nil {
		log.Fatal(err)
	}
	c.Handle("GET /static/*", static.New(sub, static.Config{
		CacheControl: "public, max-age=3600",
	}))
	site, err := static.Dir("testdata/web", static.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer site.Close()
	c.Handle("/", site) // the whole tree, at the default mapping

	for _, path := range []string{"/static/index.html", "/index.html", "/"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s %d %q %q", path, rec.Code, rec.Header().Get("Cache-Control"), rec.Body)
		fmt.Println()
	}
	// Output:
	// /static/index.html 200 "public, max-age=3600" "<h1>embedded</h1>\n"
	// /index.html 200 "" "<h1>embedded</h1>\n"
	// / 200 "" "<h1>embedded</h1>\n"
}

// Serve a file tree under /static/: the request's path after the prefix
// names the file.
func Example() {
	c := container.New()
	c.Handle("GET /static/*", static.New(exampleFS, static.Config{CacheControl: "max-age=3600"}))

	for _, path := range []string{"/static/css/app.css", "/static/", "/static/css", "/static/nope"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s %d %q %q\n", path, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Location"))
	}
	// Output:
	// /static/css/app.css 200 "text/css; charset=utf-8" ""
	// /static/ 200 "text/html; charset=utf-8" ""
	// /static/css 301 "" "/static/css/"
	// /static/nope 404 "text/plain; charset=utf-8" ""
}

// A client that saw a file before sends its ETag back, and is answered
// 304 Not Modified while the file has not changed.
func Example_conditional() {
	c := container.New()
	c.Handle("/", static.New(exampleFS, static.Config{}))

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/index.html", nil))
	etag := rec.Header().Get("Etag")
	fmt.Println(rec.Code, rec.Body)

	req := httptest.NewRequest("GET", "/index.html", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Etag") == etag, rec.Body.Len())
	// Output:
	// 200 <h1>Wharf</h1>
	// 304 true 0
}

// A Range request gets the bytes asked for, 206 Partial Content.
func Example_ranges() {
	c := container.New()
	c.Handle("/", static.New(exampleFS, static.Config{}))

	req := httptest.NewRequest("GET", "/index.html", nil)
	req.Header.Set("Range", "bytes=4-8")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Content-Range"), rec.Body)
	// Output:
	// 206 bytes 4-8/14 Wharf
}

// A file with a precompressed sibling (app.js.br beside app.js) is sent
// compressed to a client that accepts the encoding, and as it is to the
// others; both answers say that they vary with Accept-Encoding.
func Example_precompressed() {
	c := container.New()
	c.Handle("/", static.New(exampleFS, static.Config{}))

	for _, ae := range []string{"gzip, br", ""} {
		req := httptest.NewRequest("GET", "/app.js", nil)
		req.Header.Set("Accept-Encoding", ae)
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		fmt.Printf("%q %q %s %s\n", rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"), rec.Header().Get("Content-Type"), rec.Body)
	}
	// Output:
	// "br" "Accept-Encoding" text/javascript; charset=utf-8 (brotli bytes)
	// "" "Accept-Encoding" text/javascript; charset=utf-8 console.log(1)
}

// Dir serves an operating-system directory; no path and no symbolic link
// leads out of it.
func ExampleDir() {
	dir, err := os.MkdirTemp("", "static-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>site</h1>"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(dir, "passwd"))

	h, err := static.Dir(dir, static.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	c := container.New()
	c.Handle("/site/*", h)

	for _, path := range []string{"/site/", "/site/passwd", "/site/../../etc/passwd"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Code)
	}
	// Output:
	// /site/ 200
	// /site/passwd 404
	// /site/../../etc/passwd 404
}

// With Listing, a directory without an index file is answered with a list
// of its entries; without it, 404.
func Example_listing() {
	files := fstest.MapFS{
		"docs/a.txt":     {Data: []byte("a")},
		"docs/b & c.txt": {Data: []byte("b")},
		"docs/.draft":    {Data: []byte("hidden")},
		"docs/img/x.png": {Data: []byte("x")},
	}
	c := container.New()
	c.Handle("/", static.New(files, static.Config{Listing: true}))
	c.Handle("/unlisted/*", static.New(files, static.Config{}))

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/unlisted/docs/", nil))
	fmt.Println(rec.Code)
	rec = httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/docs/", nil))
	fmt.Print(rec.Body)
	// Output:
	// 404
	// <!doctype html>
	// <meta charset="utf-8">
	// <title>/docs/</title>
	// <h1>/docs/</h1>
	// <ul>
	// <li><a href="./a.txt">a.txt</a></li>
	// <li><a href="./b%20&amp;%20c.txt">b &amp; c.txt</a></li>
	// <li><a href="./img/">img/</a></li>
	// </ul>
}

// CacheControlFunc chooses Cache-Control per file: fingerprinted assets
// forever, the page that names them never without asking.
func Example_cacheControlFunc() {
	c := container.New()
	c.Handle("/", static.New(exampleFS, static.Config{
		CacheControlFunc: func(name string) string {
			if strings.HasSuffix(name, ".html") {
				return "no-cache"
			}
			return "public, max-age=31536000, immutable"
		},
	}))
	for _, path := range []string{"/", "/css/app.css"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Header().Get("Cache-Control"))
	}
	// Output:
	// / no-cache
	// /css/app.css public, max-age=31536000, immutable
}

// IndexNames are the files tried, in order, for a path that names a
// directory.
func ExampleConfig() {
	files := fstest.MapFS{
		"index.htm":       {Data: []byte("<h1>home</h1>")},
		"docs/README.txt": {Data: []byte("read me")},
	}
	c := container.New()
	c.Handle("/", static.New(files, static.Config{IndexNames: []string{"index.html", "index.htm", "README.txt"}}))

	for _, path := range []string{"/", "/docs/"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Code, rec.Body)
	}
	// Output:
	// / 200 <h1>home</h1>
	// /docs/ 200 read me
}

// Dot files stay hidden (404) without ServeDotFiles. To serve
// /.well-known/ alone, a second Handler is mounted there over that
// directory: the names within it have no dot segment.
func Example_wellKnown() {
	files := fstest.MapFS{
		"index.html":                 {Data: []byte("<h1>site</h1>")},
		".env":                       {Data: []byte("SECRET=1")},
		".well-known/security.txt":   {Data: []byte("Contact: mailto:security@example.com")},
		".well-known/.private/notes": {Data: []byte("hidden still")},
	}
	wellKnown, err := fs.Sub(files, ".well-known")
	if err != nil {
		log.Fatal(err)
	}
	c := container.New()
	c.Handle("/", static.New(files, static.Config{}))
	c.Handle("/.well-known/*", static.New(wellKnown, static.Config{}))

	for _, path := range []string{"/.env", "/.well-known/security.txt", "/.well-known/.private/notes"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Code)
	}
	// Output:
	// /.env 404
	// /.well-known/security.txt 200
	// /.well-known/.private/notes 404
}

// Files users uploaded are served with the precompressed siblings off (an
// upload named report.txt.gz would otherwise be served for report.txt) and
// with fields that keep a browser from running what it sniffs as HTML.
func Example_uploads() {
	uploadDir, err := os.MkdirTemp("", "static-uploads")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(uploadDir)
	os.WriteFile(filepath.Join(uploadDir, "report.txt"), []byte("the report"), 0o644)
	os.WriteFile(filepath.Join(uploadDir, "report.txt.gz"), []byte("<script>alert(1)</script>"), 0o644)

	c := container.New()
	serve := func() error {
		c.Filter("/files/*", header.New(header.Config{Set: map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox",
		}}))
		files, err := static.Dir(uploadDir, static.Config{DisablePrecompressed: true})
		if err != nil {
			return err
		}
		defer files.Close() // the directory it holds open
		c.Handle("GET /files/*", files)

		req := httptest.NewRequest("GET", "/files/report.txt", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		fmt.Printf("%d %q %q %q %s\n", rec.Code, rec.Header().Get("Content-Encoding"),
			rec.Header().Get("X-Content-Type-Options"), rec.Header().Get("Content-Security-Policy"), rec.Body)
		return nil
	}
	if err := serve(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 200 "" "nosniff" "sandbox" the report
}

// A handler that chooses the file (a download by ID, a share link)
// serves it with ServeFile, with everything Serve gives a file: its
// type, validators and ranges.
func ExampleHandler_ServeFile() {
	files := static.New(exampleFS, static.Config{})
	byID := map[string]string{"42": "css/app.css"} // the application's records
	c := container.New()
	c.HandleFunc("GET /download/{id}", func(w api.Response, r *api.Request) error {
		name, ok := byID[r.PathParam("id")]
		if !ok {
			return api.Error(http.StatusNotFound, "no such download")
		}
		w.Header().Set("Content-Disposition", `attachment; filename="app.css"`)
		return files.ServeFile(w, r, name)
	})

	for _, path := range []string{"/download/42", "/download/7"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s %d %q %q\n", path, rec.Code, rec.Header().Get("Content-Disposition"), rec.Body)
	}
	// Output:
	// /download/42 200 "attachment; filename=\"app.css\"" "body{margin:0}"
	// /download/7 404 "" "404 Not Found: no such download\n"
}
