package main

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestPaceDelay(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const kib = 1 << 10
	tests := []struct {
		name    string
		elapsed time.Duration // now − start
		n, rate int64
		want    time.Duration
	}{
		{"nothing read yet", 0, 0, 256 * kib, 0},
		{"one chunk at once", 0, 16 * kib, 256 * kib, 62500 * time.Microsecond},
		{"on schedule", 1 * time.Second, 256 * kib, 256 * kib, 0},
		{"ahead by half a second", 1 * time.Second, 384 * kib, 256 * kib, 500 * time.Millisecond},
		{"behind: no wait, the next reads catch up", 3 * time.Second, 256 * kib, 256 * kib, 0},
		{"whole file", 10 * time.Second, 4 << 20, 256 * kib, 6 * time.Second},
		{"fast rate", 0, 1 << 20, 1 << 30, time.Second / 1024},
	}
	for _, tt := range tests {
		if got := paceDelay(t0, t0.Add(tt.elapsed), tt.n, tt.rate); got != tt.want {
			t.Errorf("%s: paceDelay(+%v, %d bytes, %d B/s) = %v, want %v", tt.name, tt.elapsed, tt.n, tt.rate, got, tt.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	ten := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{[]time.Duration{7}, 50, 7},
		{[]time.Duration{7}, 99, 7},
		{ten, 50, 5},
		{ten, 90, 9},
		{ten, 91, 10},
		{ten, 99, 10},
		{ten, 100, 10},
		{ten, 1, 1},
		{ten, 0.0001, 1},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	base := Config{URL: "http://127.0.0.1:1/static/big.bin", N: 10, Size: 4 << 20, Rate: 256 << 10, Chunk: 16 << 10, Dialers: 4}
	tests := []struct {
		name    string
		change  func(*Config)
		wantErr bool
		timeout time.Duration
	}{
		{"defaults: timeout twice the ideal plus 30 s", func(*Config) {}, false, 62 * time.Second},
		{"timeout kept", func(c *Config) { c.Timeout = time.Second }, false, time.Second},
		{"https refused", func(c *Config) { c.URL = "https://127.0.0.1:1/x" }, true, 0},
		{"no host", func(c *Config) { c.URL = "http:///x" }, true, 0},
		{"zero downloads", func(c *Config) { c.N = 0 }, true, 0},
		{"zero rate", func(c *Config) { c.Rate = 0 }, true, 0},
		{"zero chunk", func(c *Config) { c.Chunk = 0 }, true, 0},
	}
	for _, tt := range tests {
		c := base
		tt.change(&c)
		err := c.check()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: check() = %v, want error %v", tt.name, err, tt.wantErr)
		}
		if err == nil && c.Timeout != tt.timeout {
			t.Errorf("%s: timeout %v, want %v", tt.name, c.Timeout, tt.timeout)
		}
	}
}

// TestRun downloads from a local server: paced downloads complete, and a
// body shorter than announced or of the wrong length counts as failed.
func TestRun(t *testing.T) {
	body := make([]byte, 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/file":
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
		case "/short": // announces the whole body, sends half, hangs up
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body[:len(body)/2])
			panic(http.ErrAbortHandler)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)

	tests := []struct {
		path              string
		completed, failed int
		reason            string
	}{
		{"/file", 4, 0, ""},
		{"/short", 0, 4, "body: connection closed early"},
		{"/missing", 0, 4, "status 404"},
	}
	for _, tt := range tests {
		cfg := Config{URL: srv.URL + tt.path, N: 4, Size: int64(len(body)), Rate: 1 << 20, RcvBuf: 16 << 10, Chunk: 8 << 10, Dialers: 2}
		if err := cfg.check(); err != nil {
			t.Fatal(err)
		}
		s := run(context.Background(), cfg)
		if s.Completed != tt.completed || s.Failed != tt.failed || (tt.reason != "" && s.Errors[tt.reason] != tt.failed) {
			t.Errorf("%s: %d completed, %d failed (%v); want %d, %d (%q)", tt.path, s.Completed, s.Failed, s.Errors, tt.completed, tt.failed, tt.reason)
		}
		// 64 KiB at 1 MiB/s: about 62 ms, less the last chunk, which is not waited for.
		if tt.completed > 0 && (s.Min < 40*time.Millisecond || s.Bytes != int64(tt.completed*len(body))) {
			t.Errorf("%s: fastest download %v, %d bytes: the pace was not kept or bytes are missing", tt.path, s.Min, s.Bytes)
		}
	}
}
