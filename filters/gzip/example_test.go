package gzip_test

import (
	stdgzip "compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
)

func Example() {
	page := strings.Repeat("<p>compress me</p>\n", 200)
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", gzip.New(gzip.Config{Level: gzip.BestSpeed}))
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, err := w.WriteString(page)
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	// Ask for gzip ourselves, so that the client shows the raw response
	// instead of decompressing it transparently.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/", nil)
	req.Header.Set("Accept-Encoding", "br;q=1, gzip;q=0.8")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	zr, err := stdgzip.NewReader(resp.Body)
	if err != nil {
		panic(err)
	}
	plain, _ := io.ReadAll(zr)
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	fmt.Println(string(plain) == page)
	// Output:
	// 200 gzip Accept-Encoding
	// true
}

// A filter for an API that also answers in YAML: its type, which the
// default list does not hold, joins it, and a smaller MinSize compresses
// shorter answers. Other types (an image, compressed already) go out as
// they are.
func ExampleConfig() {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	defer c.Shutdown(context.Background())
	c.Filter("/*", gzip.New(gzip.Config{
		ContentTypes: append(gzip.DefaultContentTypes(), "application/yaml"),
		MinSize:      256,
	}))
	c.HandleFunc("/config", func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "application/yaml")
		_, err := w.WriteString(strings.Repeat("- event: tick\n", 30))
		return err
	})
	c.HandleFunc("/logo.png", func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "image/png")
		_, err := w.Write(make([]byte, 1000))
		return err
	})

	for _, path := range []string{"/config", "/logo.png"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		fmt.Printf("%s %q\n", path, rec.Header().Get("Content-Encoding"))
	}
	// Output:
	// /config "gzip"
	// /logo.png ""
}
