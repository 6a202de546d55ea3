package static_test

import (
	"testing"

	"github.com/wharf-go/wharf/static"
)

// TestCacheControlOnlyOnSuccess: Cache-Control goes with 200, 206 and 304
// answers only, as Config.CacheControl says. A 412 or 416 that carried a
// long "public, max-age" could be stored by a shared cache (RFC 9111 §3
// lets a cache store any final status with explicit freshness) and served
// to every later request for the file.
func TestCacheControlOnlyOnSuccess(t *testing.T) {
	cfg := static.Config{CacheControl: "public, max-age=31536000"}
	for _, tc := range []struct {
		name string
		hdr  []string
		code int
		want string
	}{
		{"200", nil, 200, cfg.CacheControl},
		{"206", []string{"Range", "bytes=0-1"}, 206, cfg.CacheControl},
		{"304", []string{"If-None-Match", "*"}, 304, cfg.CacheControl},
		{"412 If-Match", []string{"If-Match", `"nope"`}, 412, ""},
		{"412 If-Unmodified-Since", []string{"If-Unmodified-Since", "Sun, 01 Mar 2026 11:59:59 GMT"}, 412, ""},
		{"416", []string{"Range", "bytes=5000-"}, 416, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, static.New(testFS(), cfg), "/", "GET", "/big.bin", tc.hdr...)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d", rec.Code, tc.code)
			}
			if got := rec.Header().Get("Cache-Control"); got != tc.want {
				t.Errorf("%d with Cache-Control %q, want %q", rec.Code, got, tc.want)
			}
		})
	}
}
