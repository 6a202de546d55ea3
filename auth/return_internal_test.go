package auth

import (
	"context"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
)

// The target kept to return to after a login: the path and query of a
// GET or HEAD, never one a browser would take off this server.
func TestReturnTarget(t *testing.T) {
	for _, tc := range []struct {
		method, target, want string
	}{
		{"GET", "/app/report?year=2026", "/app/report?year=2026"},
		{"HEAD", "/", "/"},
		{"POST", "/app/report", ""},
		{"GET", "//evil.example/x", ""},
		{"GET", "/\\evil.example/x", ""},
		{"GET", "/\t/evil.example/x", ""},
		{"GET", "/a b", ""},
		{"GET", "/a\x7f", ""},
		{"GET", "http://evil.example/x", ""},
		{"OPTIONS", "*", ""},
		{"GET", "/" + strings.Repeat("a", maxReturnBytes-1), "/" + strings.Repeat("a", maxReturnBytes-1)},
		{"GET", "/" + strings.Repeat("a", maxReturnBytes), ""},
	} {
		h := &api.RequestHead{Method: tc.method, Target: tc.target, Path: "/", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
		if got := returnTarget(api.NewRequest(context.Background(), h, nil)); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.method, tc.target, got, tc.want)
		}
	}
}
