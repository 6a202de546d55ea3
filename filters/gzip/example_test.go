package gzip_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"fmt"
	"io"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func Example() {
	page := strings.Repeat("<p>compress me</p>\n", 200)
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, err := w.WriteString(page)
		return err
	}), gzip.New(gzip.Config{Level: gzip.BestSpeed}))

	w := wharftest.NewRecorder()
	_ = h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "br;q=1, gzip;q=0.8"))

	zr, _ := stdgzip.NewReader(bytes.NewReader(w.BodyBytes()))
	plain, _ := io.ReadAll(zr)
	fmt.Println(w.Header().Get("Content-Encoding"), w.Header().Get("Vary"))
	fmt.Println(len(w.BodyBytes()) < len(page), string(plain) == page)
	// Output:
	// gzip Accept-Encoding
	// true true
}
