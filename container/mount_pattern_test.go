package container_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wharf-go/wharf/container"
)

// A net/http handler mounted on a pattern reads that pattern in its
// Request.Pattern, as behind a ServeMux, where it reads its PathValue:
// otelhttp names a request's http.route from it, and a handler moved from
// a ServeMux to Mount must not lose it. In a context the pattern is the
// full path the handler serves, as a ServeMux would have needed it.
func TestMountSetsPattern(t *testing.T) {
	c := container.New()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Pattern+"|"+r.PathValue("id"))
	})
	c.Mount("GET /items/{id}", h)
	c.Mount("/files/*", h)
	c.Context("/shop").Mount("POST /items/{id}", h)
	for _, tc := range []struct {
		method, target, want string
	}{
		{"GET", "/items/7", "GET /items/{id}|7"},
		{"GET", "/files/a/b", "/files/*|"},
		{"POST", "/shop/items/9", "POST /shop/items/{id}|9"},
	} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
		if got := rec.Body.String(); rec.Code != 200 || got != tc.want {
			t.Errorf("%s %s: %d %q, want 200 %q", tc.method, tc.target, rec.Code, got, tc.want)
		}
	}
}

// TestMountPatternOfEveryKind: the pattern a mounted handler reads is a
// path for every kind of servlet pattern, written as filters/telemetry
// writes http.route: the context root is not the empty pattern (which
// net/http's Request.Pattern reserves for a request no pattern matched),
// and an extension pattern is not glued to the context path.
func TestMountPatternOfEveryKind(t *testing.T) {
	c := container.New()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Pattern)
	})
	c.Mount("", h)
	c.Mount("*.json", h)
	c.Mount("GET  /spaced", h)
	shop := c.Context("/shop")
	shop.Mount("", h)
	shop.Mount("GET *.json", h)
	shop.Mount("/", h)
	for _, tc := range []struct{ target, want string }{
		{"/", "/"},
		{"/a.json", "/*.json"},
		{"/spaced", "GET /spaced"},
		{"/shop", "/shop/"},
		{"/shop/", "/shop/"},
		{"/shop/a/b.json", "GET /shop/*.json"},
		{"/shop/other", "/shop/"},
	} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", tc.target, nil))
		if got := rec.Body.String(); rec.Code != 200 || got != tc.want {
			t.Errorf("GET %s: %d %q, want 200 %q", tc.target, rec.Code, got, tc.want)
		}
	}
}
