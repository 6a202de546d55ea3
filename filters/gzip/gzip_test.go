package gzip_test

import (
	"bufio"
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := stdgzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip stream: %v", err)
	}
	return string(out)
}

var (
	text = strings.Repeat("hello, compressible world. ", 100) // 2700 bytes
	png  = "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00\x01\x02", 1000)
)

func TestDecision(t *testing.T) {
	type tc struct {
		name     string
		cfg      gzip.Config
		method   string
		ae       string            // Accept-Encoding; "" for none
		header   map[string]string // set by the handler
		status   int
		body     string
		writes   int // write the body in this many pieces (0 = 1)
		compress bool
		vary     bool
		ctype    string // expected Content-Type after the filter ("" = unchecked)
	}
	html := "<!DOCTYPE html><html><body>" + text + "</body></html>"
	tests := []tc{
		{name: "text accepted", ae: "gzip", header: map[string]string{"Content-Type": "text/plain"}, body: text, compress: true, vary: true},
		{name: "many small writes", ae: "gzip", header: map[string]string{"Content-Type": "text/css"}, body: text, writes: 270, compress: true, vary: true},
		{name: "json with length", ae: "deflate, gzip", header: map[string]string{"Content-Type": "application/json; charset=utf-8", "Content-Length": "2700"}, body: text, compress: true, vary: true},
		{name: "suffix type", ae: "gzip", header: map[string]string{"Content-Type": "application/problem+json"}, body: text, compress: true, vary: true},
		{name: "svg", ae: "gzip", header: map[string]string{"Content-Type": "image/SVG+xml"}, body: text, compress: true, vary: true},
		{name: "x-gzip", ae: "x-gzip", header: map[string]string{"Content-Type": "text/plain"}, body: text, compress: true, vary: true},
		{name: "upper case coding", ae: "GZIP;Q=0.5", header: map[string]string{"Content-Type": "text/plain"}, body: text, compress: true, vary: true},
		{name: "star", ae: "*", header: map[string]string{"Content-Type": "text/plain"}, body: text, compress: true, vary: true},
		{name: "star q=0", ae: "*;q=0", header: map[string]string{"Content-Type": "text/plain"}, body: text, vary: true},
		{name: "gzip q=0 beats star", ae: "gzip;q=0, *", header: map[string]string{"Content-Type": "text/plain"}, body: text, vary: true},
		{name: "gzip q=0.000", ae: "br, gzip; q=0.000", header: map[string]string{"Content-Type": "text/plain"}, body: text, vary: true},
		{name: "malformed q", ae: "gzip;q=high", header: map[string]string{"Content-Type": "text/plain"}, body: text, vary: true},
		{name: "malformed q NaN beats star", ae: "gzip;q=NaN, *", header: map[string]string{"Content-Type": "text/plain"}, body: text, vary: true},
		{name: "malformed q NaN", ae: "gzip;q=nan", header: map[string]string{"Content-Type": "text/plain"}, body: text, vary: true},
		{name: "identity only", ae: "identity", header: map[string]string{"Content-Type": "text/plain"}, body: text, vary: true},
		{name: "no accept-encoding", header: map[string]string{"Content-Type": "text/plain"}, body: text, vary: true},
		{name: "small body", ae: "gzip", header: map[string]string{"Content-Type": "text/plain"}, body: text[:1023]},
		{name: "exactly min size", ae: "gzip", header: map[string]string{"Content-Type": "text/plain"}, body: text[:1024], compress: true, vary: true},
		{name: "empty body", ae: "gzip", header: map[string]string{"Content-Type": "text/plain"}},
		{name: "png typed", ae: "gzip", header: map[string]string{"Content-Type": "image/png"}, body: text},
		{name: "sniffed html", ae: "gzip", body: html, compress: true, vary: true, ctype: "text/html; charset=utf-8"},
		{name: "sniffed across writes", ae: "gzip", body: html, writes: 300, compress: true, vary: true, ctype: "text/html; charset=utf-8"},
		{name: "sniffed png", ae: "gzip", body: png, ctype: ""},
		{name: "already encoded", ae: "gzip", header: map[string]string{"Content-Type": "text/plain", "Content-Encoding": "br"}, body: text},
		{name: "no-transform", ae: "gzip", header: map[string]string{"Content-Type": "text/plain", "Cache-Control": "public, No-Transform"}, body: text},
		{name: "content-range", ae: "gzip", header: map[string]string{"Content-Type": "text/plain", "Content-Range": "bytes 0-2699/5000"}, body: text},
		{name: "206", ae: "gzip", status: 206, header: map[string]string{"Content-Type": "text/plain"}, body: text},
		{name: "404 page compressed", ae: "gzip", status: 404, header: map[string]string{"Content-Type": "text/html"}, body: text, compress: true, vary: true},
		{name: "min size 10", cfg: gzip.Config{MinSize: 10}, ae: "gzip", header: map[string]string{"Content-Type": "text/plain"}, body: "0123456789", compress: true, vary: true},
		{name: "min size negative", cfg: gzip.Config{MinSize: -1}, ae: "gzip", header: map[string]string{"Content-Type": "text/plain"}, body: "x", compress: true, vary: true},
		{name: "custom types", cfg: gzip.Config{ContentTypes: []string{"application/octet-stream"}}, ae: "gzip", header: map[string]string{"Content-Type": "application/octet-stream"}, body: text, compress: true, vary: true},
		{name: "custom type with parameters", cfg: gzip.Config{ContentTypes: []string{"Text/Plain; charset=utf-8"}}, ae: "gzip", header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, body: text, compress: true, vary: true},
		{name: "custom types exclude text", cfg: gzip.Config{ContentTypes: []string{"application/octet-stream"}}, ae: "gzip", header: map[string]string{"Content-Type": "text/plain"}, body: text},
		{name: "best speed", cfg: gzip.Config{Level: gzip.BestSpeed}, ae: "gzip", header: map[string]string{"Content-Type": "text/plain"}, body: text, compress: true, vary: true},
		{name: "huffman only", cfg: gzip.Config{Level: -2}, ae: "gzip", header: map[string]string{"Content-Type": "text/plain"}, body: text, compress: true, vary: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				if tt.status != 0 {
					w.SetStatus(tt.status)
				}
				n := max(tt.writes, 1)
				size := (len(tt.body) + n - 1) / n
				for i, k := 0, 0; i < len(tt.body); i, k = i+size, k+1 {
					piece := tt.body[i:min(i+size, len(tt.body))]
					var err error
					if k%2 == 0 {
						_, err = w.WriteString(piece)
					} else {
						_, err = w.Write([]byte(piece))
					}
					if err != nil {
						return err
					}
				}
				return nil
			}), gzip.New(tt.cfg))
			method := tt.method
			if method == "" {
				method = "GET"
			}
			var kv []string
			if tt.ae != "" {
				kv = []string{"Accept-Encoding", tt.ae}
			}
			w := wharftest.NewRecorder()
			if err := h.Serve(w, wharftest.Request(method, "/", kv...)); err != nil {
				t.Fatal(err)
			}
			hdr := w.Header()
			if got := hdr.Get("Content-Encoding") == "gzip"; got != tt.compress {
				t.Fatalf("compressed = %v, want %v (header %v)", got, tt.compress, hdr)
			}
			body := w.Body()
			if tt.compress {
				if hdr.Get("Content-Length") != "" {
					t.Error("Content-Length kept on a compressed response")
				}
				body = gunzip(t, w.BodyBytes())
			}
			if body != tt.body {
				t.Errorf("body differs: got %d bytes, want %d", len(body), len(tt.body))
			}
			if got := hdr.Values("Vary"); tt.vary != (len(got) == 1 && got[0] == "Accept-Encoding") || (!tt.vary && len(got) != 0) {
				t.Errorf("Vary = %q, want present=%v", got, tt.vary)
			}
			if tt.ctype != "" || tt.header["Content-Type"] == "" {
				if got := hdr.Get("Content-Type"); got != tt.ctype {
					t.Errorf("Content-Type = %q, want %q", got, tt.ctype)
				}
			}
		})
	}
}

func TestInvalidLevelPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New accepted level 42")
		}
	}()
	gzip.New(gzip.Config{Level: 42})
}

func TestVaryKept(t *testing.T) {
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Add("Vary", "Origin, accept-encoding")
		_, err := w.WriteString(text)
		return err
	}), gzip.New(gzip.Config{}))
	w := wharftest.NewRecorder()
	h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip"))
	if got := w.Header().Values("Vary"); len(got) != 1 || got[0] != "Origin, accept-encoding" {
		t.Fatalf("Vary = %q", got)
	}
}

func TestFlush(t *testing.T) {
	first := text[:2000]
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteString(first)
		if err := w.Flush(); err != nil {
			return err
		}
		// Everything written so far must be decodable from what was sent.
		rec := w.(api.Unwrapper).Unwrap().(*wharftest.Recorder)
		if !rec.Committed() || rec.Flushes() != 1 {
			t.Errorf("committed=%v flushes=%d", rec.Committed(), rec.Flushes())
		}
		zr, err := stdgzip.NewReader(bytes.NewReader(rec.BodyBytes()))
		if err != nil {
			t.Fatalf("after Flush: %v", err)
		}
		got := make([]byte, len(first))
		if _, err := io.ReadFull(zr, got); err != nil || string(got) != first {
			t.Fatalf("after Flush read %q, %v", got[:20], err)
		}
		_, err = w.WriteString("second part")
		return err
	}), gzip.New(gzip.Config{}))
	w := wharftest.NewRecorder()
	if err := h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip")); err != nil {
		t.Fatal(err)
	}
	if w.Result().Get("Content-Encoding") != "gzip" {
		t.Fatalf("header sent: %v", w.Result())
	}
	if got := gunzip(t, w.BodyBytes()); got != first+"second part" {
		t.Fatalf("body %q...", got[:20])
	}
}

func TestFlushBeforeMinSizePassesThrough(t *testing.T) {
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteString("hello")
		if err := w.Flush(); err != nil {
			return err
		}
		_, err := w.WriteString(text)
		return err
	}), gzip.New(gzip.Config{}))
	w := wharftest.NewRecorder()
	if err := h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip")); err != nil {
		t.Fatal(err)
	}
	if w.Result().Get("Content-Encoding") != "" || w.Body() != "hello"+text || w.Flushes() != 1 {
		t.Fatalf("header %v, %d bytes, %d flushes", w.Result(), len(w.Body()), w.Flushes())
	}
}

func TestResetStartsOver(t *testing.T) {
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteString(text)
		if err := w.Reset(); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/plain")
		_, err := w.WriteString("short")
		return err
	}), gzip.New(gzip.Config{}))
	w := wharftest.NewRecorder()
	if err := h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip")); err != nil {
		t.Fatal(err)
	}
	if w.Header().Get("Content-Encoding") != "" || w.Body() != "short" {
		t.Fatalf("header %v body %q", w.Header(), w.Body())
	}
}

func TestErrorDropsBuffer(t *testing.T) {
	boom := errors.New("boom")
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.WriteString("half a page")
		return boom
	}), gzip.New(gzip.Config{}))
	w := wharftest.NewRecorder()
	if err := h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip")); err != boom {
		t.Fatalf("err = %v", err)
	}
	if w.Body() != "" {
		t.Fatalf("buffered body written on error: %q", w.Body())
	}
}

func TestErrorAfterCompressionStarted(t *testing.T) {
	boom := errors.New("boom")
	f := gzip.New(gzip.Config{})
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/plain")
		if r.Path() == "/fail" {
			w.WriteString(text)
			return boom
		}
		_, err := w.WriteString(text)
		return err
	}), f)
	x := wharftest.Run(h, wharftest.Head("GET", "/fail", "Accept-Encoding", "gzip"))
	if _, _, err := x.Chan.Result(); err != boom || x.Out.Status() != 500 || x.Out.Body() != "" ||
		x.Out.Result().Get("Content-Encoding") != "" {
		t.Fatalf("err=%v status=%d header=%v", err, x.Out.Status(), x.Out.Result())
	}
	// The abandoned writer went back to the pool in a usable state.
	for range 3 {
		w := wharftest.NewRecorder()
		if err := h.Serve(w, wharftest.Request("GET", "/ok", "Accept-Encoding", "gzip")); err != nil {
			t.Fatal(err)
		}
		if gunzip(t, w.BodyBytes()) != text {
			t.Fatal("body differs after reuse")
		}
	}
}

type hijackRecorder struct{ *wharftest.Recorder }

func (hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("hijacked")
}

func TestWrapperKeepsCapabilities(t *testing.T) {
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		if _, ok := w.(api.Hijacker); ok {
			t.Error("expected the wrapper")
		}
		_, _, err := api.Hijack(w)
		return err
	}), gzip.New(gzip.Config{}))
	err := h.Serve(hijackRecorder{wharftest.NewRecorder()}, wharftest.Request("GET", "/", "Accept-Encoding", "gzip"))
	if err == nil || err.Error() != "hijacked" {
		t.Fatalf("Hijack: %v", err)
	}
}

// Many requests at once share the writer pool; -race checks the reuse.
func TestConcurrentPoolReuse(t *testing.T) {
	f := gzip.New(gzip.Config{Level: gzip.BestSpeed})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				body := fmt.Sprintf("%d-%d:", i, j) + text
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					w.Header().Set("Content-Type", "text/plain")
					_, err := w.WriteString(body)
					return err
				}), f)
				w := wharftest.NewRecorder()
				if err := h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip")); err != nil {
					t.Error(err)
					return
				}
				zr, err := stdgzip.NewReader(bytes.NewReader(w.BodyBytes()))
				if err != nil {
					t.Error(err)
					return
				}
				got, err := io.ReadAll(zr)
				if err != nil || string(got) != body {
					t.Errorf("request %d-%d: %v", i, j, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// suspendingHandler suspends in the initial dispatch after writing first, and
// writes last in the resumed dispatch.
func suspendingHandler(first, last string, ctx **async.Context) api.Handler {
	return api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/plain")
		if async.KindOf(r) == async.DispatchInitial {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			*ctx = a
			_, err = w.WriteString(first)
			return err
		}
		_, err := w.WriteString(last)
		return err
	})
}

func TestSuspendedRequests(t *testing.T) {
	tests := []struct {
		name        string
		first, last string
		compressed  bool
		flushes     int
	}{
		{name: "continuation writes in final dispatch", first: "", last: text, compressed: true},
		{name: "small write before suspending", first: "head:", last: text, flushes: 1},
		{name: "compressed before suspending, nothing after", first: text, last: "", compressed: true, flushes: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a *async.Context
			h := api.Compose(suspendingHandler(tt.first, tt.last, &a), gzip.New(gzip.Config{}))
			x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/", "Accept-Encoding", "gzip"), nil).Begin()
			if x.State() != "Waiting" {
				t.Fatalf("state %s", x.State())
			}
			if err := a.Redispatch(); err != nil {
				t.Fatal(err)
			}
			<-x.Done()
			if _, _, err := x.Chan.Result(); err != nil {
				t.Fatal(err)
			}
			hdr := x.Out.Result()
			if got := hdr.Get("Content-Encoding") == "gzip"; got != tt.compressed {
				t.Fatalf("compressed = %v, header %v", got, hdr)
			}
			body := x.Out.Body()
			if tt.compressed {
				body = gunzip(t, x.Out.BodyBytes())
			}
			if body != tt.first+tt.last {
				t.Fatalf("body %d bytes, want %d", len(body), len(tt.first+tt.last))
			}
			if v := hdr.Values("Vary"); tt.compressed && len(v) != 1 {
				t.Fatalf("Vary = %q", v)
			}
			if x.Out.Flushes() != tt.flushes {
				t.Fatalf("flushes = %d, want %d", x.Out.Flushes(), tt.flushes)
			}
		})
	}
}

func TestCompletedInExchange(t *testing.T) {
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "application/json")
		_, err := w.WriteString(text)
		return err
	}), gzip.New(gzip.Config{}))
	x := wharftest.Run(h, wharftest.Head("GET", "/", "Accept-Encoding", "gzip"))
	if x.Out.Result().Get("Content-Encoding") != "gzip" || gunzip(t, x.Out.BodyBytes()) != text {
		t.Fatalf("header %v", x.Out.Result())
	}
}

func TestStatusWithoutBodyKeepsHeaders(t *testing.T) {
	for _, code := range []int{http.StatusNoContent, http.StatusNotModified} {
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			return w.SetStatus(code)
		}), gzip.New(gzip.Config{MinSize: -1}))
		w := wharftest.NewRecorder()
		h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip"))
		if w.Header().Get("Content-Encoding") != "" || w.Header().Get("Vary") != "" || w.Body() != "" {
			t.Fatalf("%d: header %v", code, w.Header())
		}
	}
}

// A type set through the filter reaches the wrapped Response without a
// map of the filter's, and the filter's decision still sees it.
func TestSetContentTypePassesOn(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		compress          bool
		held              bool // the type stays held: no map made for it
	}{
		{"text", "text/plain", text, true, false},
		{"small", "text/plain", "hi", false, true},
		{"png", "image/png", text, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var passed bool
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				api.SetContentType(w, tt.ctype)
				passed = w.(api.Unwrapper).Unwrap().(*wharftest.TypeHolder).Held() == tt.ctype
				_, err := w.WriteString(tt.body)
				return err
			}), gzip.New(gzip.Config{}))
			w := wharftest.NewTypeHolder()
			if err := h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip")); err != nil {
				t.Fatal(err)
			}
			if !passed {
				t.Error("the type did not reach the wrapped Response as a type")
			}
			if held := w.Held() != ""; held != tt.held {
				t.Errorf("type held after the filter: %v, want %v", held, tt.held)
			}
			hdr := w.Header()
			if got := hdr.Get("Content-Encoding") == "gzip"; got != tt.compress {
				t.Errorf("compressed = %v, want %v (header %v)", got, tt.compress, hdr)
			}
			if got := hdr.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", got, tt.ctype)
			}
		})
	}
}

// The compressed representation's ETag is the handler's with "--gzip"
// inside the quotes, weak or strong; one that is not an entity-tag cannot
// be marked and goes.
func TestCompressedETag(t *testing.T) {
	tests := []struct {
		name, ae, etag, body, want string
	}{
		{"strong", "gzip", `"v1"`, text, `"v1--gzip"`},
		{"weak", "gzip", `W/"v1"`, text, `W/"v1--gzip"`},
		{"empty opaque", "gzip", `""`, text, `"--gzip"`},
		{"malformed", "gzip", `v1`, text, ""},
		{"not accepted", "", `"v1"`, text, `"v1"`},
		{"too small", "gzip", `"v1"`, "short", `"v1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				w.Header().Set("Content-Type", "text/plain")
				w.Header().Set("Etag", tt.etag)
				_, err := w.WriteString(tt.body)
				return err
			}), gzip.New(gzip.Config{}))
			var kv []string
			if tt.ae != "" {
				kv = []string{"Accept-Encoding", tt.ae}
			}
			w := wharftest.NewRecorder()
			if err := h.Serve(w, wharftest.Request("GET", "/", kv...)); err != nil {
				t.Fatal(err)
			}
			if got := w.Header().Values("Etag"); tt.want == "" && len(got) != 0 || tt.want != "" && (len(got) != 1 || got[0] != tt.want) {
				t.Fatalf("ETag %q, want %q", got, tt.want)
			}
		})
	}
}

// The handler below the filter sees If-None-Match and If-Match with the
// filter's suffix taken off each entity-tag, so that its own tags match;
// If-Range keeps it, so that a range of the handler's bytes is never
// served against a tag of the compressed ones. If-None-Match is changed
// only for a client that accepts gzip: to another, the compressed copy is
// not the representation it would be sent.
func TestConditionalTagsUnmarked(t *testing.T) {
	list := `"a--gzip", W/"b--gzip" ,"c", "d,--gzip"`
	unmarked := `"a", W/"b" ,"c", "d,"`
	tests := []struct {
		name             string
		method, ae       string
		inm, im, ifRange string // the fields sent
		wantINM, wantIM  string // the fields the handler sees
	}{
		{name: "accepted", method: "GET", ae: "gzip", inm: list, im: `"a--gzip"`, ifRange: `"a--gzip"`, wantINM: unmarked, wantIM: `"a"`},
		{name: "not accepted", method: "GET", inm: list, im: list, ifRange: `"a--gzip"`, wantINM: list, wantIM: unmarked},
		{name: "star", method: "GET", ae: "gzip", inm: "*", im: "*", wantINM: "*", wantIM: "*"},
		{name: "unmarked", method: "PUT", ae: "gzip", inm: `"a"`, im: `"a-gzip"`, wantINM: `"a"`, wantIM: `"a-gzip"`},
		{name: "head as get", method: "HEAD", ae: "gzip", inm: list, im: `"a--gzip"`, ifRange: `"a--gzip"`, wantINM: unmarked, wantIM: `"a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got api.Header
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				got = r.Header()
				return nil
			}), gzip.New(gzip.Config{}))
			kv := []string{"If-None-Match", tt.inm, "If-Match", tt.im}
			if tt.ae != "" {
				kv = append(kv, "Accept-Encoding", tt.ae)
			}
			if tt.ifRange != "" {
				kv = append(kv, "If-Range", tt.ifRange)
			}
			if err := h.Serve(wharftest.NewRecorder(), wharftest.Request(tt.method, "/", kv...)); err != nil {
				t.Fatal(err)
			}
			if v := got.Get("If-None-Match"); v != tt.wantINM {
				t.Errorf("If-None-Match %s, want %s", v, tt.wantINM)
			}
			if v := got.Get("If-Match"); v != tt.wantIM {
				t.Errorf("If-Match %s, want %s", v, tt.wantIM)
			}
			if v := got.Get("If-Range"); v != tt.ifRange {
				t.Errorf("If-Range %s, want %s", v, tt.ifRange)
			}
		})
	}
}

// A 304 answering a client that named the compressed copy's tag carries
// that tag, whether the handler sends it at the end of the dispatch or
// flushes it itself.
func TestNotModifiedTagsCompressedCopy(t *testing.T) {
	for _, flush := range []bool{false, true} {
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.Header().Set("Etag", `"v1"`)
			if r.Header().Get("If-None-Match") != `"v1"` {
				w.Header().Set("Content-Type", "text/plain")
				_, err := w.WriteString(text)
				return err
			}
			w.SetStatus(http.StatusNotModified)
			if flush {
				return w.Flush()
			}
			return nil
		}), gzip.New(gzip.Config{}))
		w := wharftest.NewRecorder()
		if err := h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip", "If-None-Match", `"v1--gzip"`)); err != nil {
			t.Fatal(err)
		}
		if w.Status() != http.StatusNotModified || w.Result().Get("Etag") != `"v1--gzip"` {
			t.Fatalf("flush %v: %d, ETag %s", flush, w.Status(), w.Result().Get("Etag"))
		}
	}
}

// A HEAD is decided as the GET of the same resource, from the body its
// handler writes or the length it declares, and compresses nothing.
func TestHeadDecidedAsGet(t *testing.T) {
	tests := []struct {
		name     string
		ae       string
		header   map[string]string
		size     int  // the body's length, 0 for all of text
		headBody bool // the handler writes the body on HEAD too
		compress bool
	}{
		{name: "written body", ae: "gzip", header: map[string]string{"Content-Type": "text/plain"}, headBody: true, compress: true},
		{name: "written body with length", ae: "gzip", header: map[string]string{"Content-Type": "text/plain", "Content-Length": "2700"}, headBody: true, compress: true},
		{name: "declared length only", ae: "gzip", header: map[string]string{"Content-Type": "text/plain", "Content-Length": "2700"}, compress: true},
		{name: "tagged", ae: "gzip", header: map[string]string{"Content-Type": "text/plain", "Content-Length": "2700", "Etag": `"v1"`}, compress: true},
		{name: "small declared length", ae: "gzip", header: map[string]string{"Content-Type": "text/plain", "Content-Length": "100"}, size: 100},
		{name: "not accepted", header: map[string]string{"Content-Type": "text/plain", "Content-Length": "2700"}},
		{name: "not compressible", ae: "gzip", header: map[string]string{"Content-Type": "image/png", "Content-Length": "2700"}},
		{name: "no-transform", ae: "gzip", header: map[string]string{"Content-Type": "text/plain", "Content-Length": "2700", "Cache-Control": "no-transform"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				if r.Method() == "GET" || tt.headBody {
					body := text
					if tt.size != 0 {
						body = text[:tt.size]
					}
					_, err := w.WriteString(body)
					return err
				}
				return nil
			}), gzip.New(gzip.Config{}))
			var kv []string
			if tt.ae != "" {
				kv = []string{"Accept-Encoding", tt.ae}
			}
			get, head := wharftest.NewRecorder(), wharftest.NewRecorder()
			if err := h.Serve(get, wharftest.Request("GET", "/", kv...)); err != nil {
				t.Fatal(err)
			}
			if err := h.Serve(head, wharftest.Request("HEAD", "/", kv...)); err != nil {
				t.Fatal(err)
			}
			if got := head.Header().Get("Content-Encoding") == "gzip"; got != tt.compress {
				t.Fatalf("HEAD compressed = %v, want %v (header %v)", got, tt.compress, head.Header())
			}
			for _, k := range []string{"Content-Encoding", "Content-Length", "Vary", "Etag", "Accept-Ranges"} {
				if g, h := get.Header().Values(k), head.Header().Values(k); !slices.Equal(g, h) {
					t.Errorf("%s is %q on GET, %q on HEAD", k, g, h)
				}
			}
			if tt.compress && head.Body() != "" {
				t.Errorf("a compressed HEAD wrote %d bytes through", len(head.Body()))
			}
		})
	}
}
