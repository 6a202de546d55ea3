package cors_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/cors"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func TestCORS(t *testing.T) {
	full := cors.Config{
		AllowedOrigins:   []string{"https://app.example", "https://Other.example"},
		AllowedMethods:   []string{"GET", "PUT", "DELETE"},
		AllowedHeaders:   []string{"Content-Type", "X-Token"},
		ExposedHeaders:   []string{"x-request-id", "ETag"},
		AllowCredentials: true,
		MaxAge:           10*time.Minute + 500*time.Millisecond,
	}
	tests := []struct {
		name        string
		cfg         cors.Config
		method      string
		header      []string
		wantHandler bool
		wantStatus  int
		want        http.Header
	}{
		{
			name: "zero config passes through", method: "GET",
			header:      []string{"Origin", "https://app.example"},
			wantHandler: true, wantStatus: 200, want: http.Header{},
		},
		{
			name: "zero config passes preflight through", method: "OPTIONS",
			header:      []string{"Origin", "https://app.example", "Access-Control-Request-Method", "PUT"},
			wantHandler: true, wantStatus: 200, want: http.Header{},
		},
		{
			name: "no origin", cfg: full, method: "GET",
			wantHandler: true, wantStatus: 200, want: http.Header{"Vary": {"Origin"}},
		},
		{
			name: "actual request allowed", cfg: full, method: "PUT",
			header:      []string{"Origin", "https://app.example"},
			wantHandler: true, wantStatus: 200,
			want: http.Header{
				"Vary":                             {"Origin"},
				"Access-Control-Allow-Origin":      {"https://app.example"},
				"Access-Control-Allow-Credentials": {"true"},
				"Access-Control-Expose-Headers":    {"x-request-id, ETag"},
			},
		},
		{
			name: "origin compared without case", cfg: full, method: "GET",
			header:      []string{"Origin", "https://other.example"},
			wantHandler: true, wantStatus: 200,
			want: http.Header{
				"Vary":                             {"Origin"},
				"Access-Control-Allow-Origin":      {"https://other.example"},
				"Access-Control-Allow-Credentials": {"true"},
				"Access-Control-Expose-Headers":    {"x-request-id, ETag"},
			},
		},
		{
			name: "actual request disallowed origin", cfg: full, method: "GET",
			header:      []string{"Origin", "https://evil.example"},
			wantHandler: true, wantStatus: 200, want: http.Header{"Vary": {"Origin"}},
		},
		{
			name: "wildcard echoes origin", cfg: cors.Config{AllowedOrigins: []string{"*"}}, method: "GET",
			header:      []string{"Origin", "https://any.example"},
			wantHandler: true, wantStatus: 200,
			want: http.Header{"Vary": {"Origin"}, "Access-Control-Allow-Origin": {"https://any.example"}},
		},
		// The opaque origin "null" (a sandboxed document, a file: page)
		// is any attacker's: "*" admits it only without credentials.
		{
			name: "wildcard admits null without credentials", cfg: cors.Config{AllowedOrigins: []string{"*"}}, method: "GET",
			header:      []string{"Origin", "null"},
			wantHandler: true, wantStatus: 200,
			want: http.Header{"Vary": {"Origin"}, "Access-Control-Allow-Origin": {"null"}},
		},
		{
			name: "wildcard with credentials refuses null", cfg: cors.Config{AllowedOrigins: []string{"*"}, AllowCredentials: true}, method: "GET",
			header:      []string{"Origin", "null"},
			wantHandler: true, wantStatus: 200, want: http.Header{"Vary": {"Origin"}},
		},
		{
			name: "wildcard with credentials refuses a null preflight", cfg: cors.Config{AllowedOrigins: []string{"*"}, AllowCredentials: true}, method: "OPTIONS",
			header:     []string{"Origin", "null", "Access-Control-Request-Method", "GET"},
			wantStatus: 204, want: http.Header{"Vary": {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}},
		},
		{
			name: "null listed with credentials", cfg: cors.Config{AllowedOrigins: []string{"*", "null"}, AllowCredentials: true}, method: "GET",
			header:      []string{"Origin", "null"},
			wantHandler: true, wantStatus: 200,
			want: http.Header{"Vary": {"Origin"}, "Access-Control-Allow-Origin": {"null"}, "Access-Control-Allow-Credentials": {"true"}},
		},
		{
			name: "preflight allowed", cfg: full, method: "OPTIONS",
			header: []string{"Origin", "https://app.example", "Access-Control-Request-Method", "PUT",
				"Access-Control-Request-Headers", "x-token, Content-Type"},
			wantStatus: 204,
			want: http.Header{
				"Vary":                             {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"},
				"Access-Control-Allow-Origin":      {"https://app.example"},
				"Access-Control-Allow-Credentials": {"true"},
				"Access-Control-Allow-Methods":     {"GET, PUT, DELETE"},
				"Access-Control-Allow-Headers":     {"x-token, content-type"},
				"Access-Control-Max-Age":           {"600"},
			},
		},
		{
			name: "preflight disallowed origin", cfg: full, method: "OPTIONS",
			header:     []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "PUT"},
			wantStatus: 204,
			want:       http.Header{"Vary": {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}},
		},
		{
			name: "preflight disallowed method", cfg: full, method: "OPTIONS",
			header:     []string{"Origin", "https://app.example", "Access-Control-Request-Method", "PATCH"},
			wantStatus: 204,
			want:       http.Header{"Vary": {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}},
		},
		{
			name: "preflight method is case-sensitive", cfg: full, method: "OPTIONS",
			header:     []string{"Origin", "https://app.example", "Access-Control-Request-Method", "put"},
			wantStatus: 204,
			want:       http.Header{"Vary": {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}},
		},
		{
			name: "preflight disallowed header", cfg: full, method: "OPTIONS",
			header: []string{"Origin", "https://app.example", "Access-Control-Request-Method", "PUT",
				"Access-Control-Request-Headers", "x-token,x-secret"},
			wantStatus: 204,
			want:       http.Header{"Vary": {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}},
		},
		{
			name: "preflight safelisted method with zero methods, reflected headers",
			cfg:  cors.Config{AllowedOrigins: []string{"https://app.example"}, MaxAge: -1}, method: "OPTIONS",
			header: []string{"Origin", "https://app.example", "Access-Control-Request-Method", "POST",
				"Access-Control-Request-Headers", "x-anything"},
			wantStatus: 204,
			want: http.Header{
				"Vary":                         {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"},
				"Access-Control-Allow-Origin":  {"https://app.example"},
				"Access-Control-Allow-Methods": {"GET, POST, HEAD"},
				"Access-Control-Allow-Headers": {"x-anything"},
				"Access-Control-Max-Age":       {"0"},
			},
		},
		{
			name: "a max age under a second is one second", cfg: cors.Config{AllowedOrigins: []string{"*"}, MaxAge: 500 * time.Millisecond}, method: "OPTIONS",
			header:     []string{"Origin", "https://app.example", "Access-Control-Request-Method", "GET"},
			wantStatus: 204,
			want: http.Header{
				"Vary":                         {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"},
				"Access-Control-Allow-Origin":  {"https://app.example"},
				"Access-Control-Allow-Methods": {"GET, POST, HEAD"},
				"Access-Control-Max-Age":       {"1"},
			},
		},
		{
			name: "zero methods reject PUT", cfg: cors.Config{AllowedOrigins: []string{"*"}}, method: "OPTIONS",
			header:     []string{"Origin", "https://app.example", "Access-Control-Request-Method", "PUT"},
			wantStatus: 204,
			want:       http.Header{"Vary": {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}},
		},
		// Lists read from the environment (strings.Split of "" or of
		// "GET, PUT") hold empty and untrimmed entries: each list takes
		// them as AllowedOrigins does, trimmed, the empty ones skipped.
		{
			name: "origins of empty entries only pass through", cfg: cors.Config{AllowedOrigins: []string{"", " "}}, method: "OPTIONS",
			header:      []string{"Origin", "https://app.example", "Access-Control-Request-Method", "PUT"},
			wantHandler: true, wantStatus: 200, want: http.Header{},
		},
		{
			name: "method entries trimmed", cfg: cors.Config{AllowedOrigins: []string{"https://app.example"}, AllowedMethods: strings.Split("GET, PUT,", ",")}, method: "OPTIONS",
			header:     []string{"Origin", "https://app.example", "Access-Control-Request-Method", "PUT"},
			wantStatus: 204,
			want: http.Header{
				"Vary":                         {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"},
				"Access-Control-Allow-Origin":  {"https://app.example"},
				"Access-Control-Allow-Methods": {"GET, PUT"},
			},
		},
		{
			name: "empty method and header entries are empty lists", cfg: cors.Config{AllowedOrigins: []string{"https://app.example"}, AllowedMethods: []string{""}, AllowedHeaders: []string{""}}, method: "OPTIONS",
			header:     []string{"Origin", "https://app.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"},
			wantStatus: 204,
			want: http.Header{
				"Vary":                         {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"},
				"Access-Control-Allow-Origin":  {"https://app.example"},
				"Access-Control-Allow-Methods": {"GET, POST, HEAD"},
				"Access-Control-Allow-Headers": {"content-type"},
			},
		},
		{
			name: "empty exposed entries skipped", cfg: cors.Config{AllowedOrigins: []string{"https://app.example"}, ExposedHeaders: strings.Split("X-Request-Id,", ",")}, method: "GET",
			header:      []string{"Origin", "https://app.example"},
			wantHandler: true, wantStatus: 200,
			want: http.Header{
				"Vary":                          {"Origin"},
				"Access-Control-Allow-Origin":   {"https://app.example"},
				"Access-Control-Expose-Headers": {"X-Request-Id"},
			},
		},
		{
			name: "OPTIONS without request method is an actual request", cfg: full, method: "OPTIONS",
			header:      []string{"Origin", "https://app.example"},
			wantHandler: true, wantStatus: 200,
			want: http.Header{
				"Vary":                             {"Origin"},
				"Access-Control-Allow-Origin":      {"https://app.example"},
				"Access-Control-Allow-Credentials": {"true"},
				"Access-Control-Expose-Headers":    {"x-request-id, ETag"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				called = true
				return nil
			}), cors.New(tt.cfg))
			w := wharftest.NewRecorder()
			if err := h.Serve(w, wharftest.Request(tt.method, "/res", tt.header...)); err != nil {
				t.Fatal(err)
			}
			if called != tt.wantHandler {
				t.Errorf("handler called = %v", called)
			}
			if w.Status() != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Status(), tt.wantStatus)
			}
			if !reflect.DeepEqual(w.Header(), tt.want) {
				t.Errorf("header\n got %v\nwant %v", w.Header(), tt.want)
			}
		})
	}
}

// "*" in AllowedMethods allows any method, as "*" does in AllowedOrigins
// and AllowedHeaders. The answer names the requested method, not "*":
// with credentials a browser reads "*" as a method literally named "*".
func TestAnyMethod(t *testing.T) {
	tests := []struct {
		name   string
		creds  bool
		method string
	}{
		{"PUT", false, "PUT"},
		{"DELETE with credentials", true, "DELETE"},
		{"extension method", false, "PURGE"},
		{"no method", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error {
				t.Error("the handler ran for a preflight")
				return nil
			}), cors.New(cors.Config{
				AllowedOrigins:   []string{"https://app.example"},
				AllowedMethods:   []string{"*"},
				AllowCredentials: tt.creds,
			}))
			w := wharftest.NewRecorder()
			if err := h.Serve(w, wharftest.Request("OPTIONS", "/res",
				"Origin", "https://app.example", "Access-Control-Request-Method", tt.method)); err != nil {
				t.Fatal(err)
			}
			wantOrigin := "https://app.example"
			if tt.method == "" {
				wantOrigin = "" // the preflight fails
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != wantOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, wantOrigin)
			}
			if got := w.Header().Values("Access-Control-Allow-Methods"); tt.method == "" && got != nil ||
				tt.method != "" && !reflect.DeepEqual(got, []string{tt.method}) {
				t.Errorf("Access-Control-Allow-Methods = %q, want %q", got, tt.method)
			}
		})
	}
}

// An allowed origin that no browser sends in its Origin field would never
// match: New refuses it rather than serve a policy that silently allows
// less than it says.
func TestOriginConfig(t *testing.T) {
	tests := []struct {
		origin string
		ok     bool
	}{
		{"https://app.example", true},
		{"HTTPS://App.Example", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"null", true},
		{"*", true},
		{" https://app.example ", true},
		{"", true},                          // skipped: strings.Split of an empty list
		{" ", true},                         // skipped
		{"https://app.example/", false},     // a trailing slash
		{"https://app.example/api", false},  // a path
		{"https://*.example.com", false},    // a wildcard: not supported
		{"*.example.com", false},            // no scheme
		{"app.example", false},              // no scheme
		{"https://app.example:443", false},  // the default port, which browsers leave out
		{"http://app.example:80", false},    // the default port, which browsers leave out
		{"https://user@app.example", false}, // userinfo
		{"https://app.example?x=1", false},  // a query
		{"https://app.example#top", false},  // a fragment
		{"https://", false},                 // no host
		{"https://xn--bcher-kva.example", true},
		{"https://bücher.example", false},    // browsers send the xn-- form
		{"https://app.example:", false},      // an empty port
		{"https://app.example:08443", false}, // a leading zero
		{"https://app.example:99999", false}, // no port
		{"http://app.example:0", true},
		{"http://app.example:65535", true},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			var got any
			func() {
				defer func() { got = recover() }()
				cors.New(cors.Config{AllowedOrigins: []string{tt.origin}})
			}()
			if tt.ok {
				if got != nil {
					t.Fatalf("New panicked: %v", got)
				}
				return
			}
			err, _ := got.(error)
			if !errors.Is(err, cors.ErrConfig) {
				t.Fatalf("New: panic %v, want an error wrapping ErrConfig", got)
			}
		})
	}
}

// " * " is "*", as the other entries are compared trimmed.
func TestAnyOriginTrimmed(t *testing.T) {
	h := api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error { return nil }),
		cors.New(cors.Config{AllowedOrigins: []string{" * "}}))
	w := wharftest.NewRecorder()
	h.Serve(w, wharftest.Request("GET", "/", "Origin", "https://a.example"))
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "https://a.example" {
		t.Fatalf("Access-Control-Allow-Origin = %q", got)
	}
}

func TestVaryNotDuplicated(t *testing.T) {
	h := api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error { return nil }),
		cors.New(cors.Config{AllowedOrigins: []string{"*"}}))
	w := wharftest.NewRecorder()
	w.Header().Set("Vary", "Accept-Encoding, origin")
	h.Serve(w, wharftest.Request("GET", "/", "Origin", "https://a.example"))
	if got := w.Header().Values("Vary"); !reflect.DeepEqual(got, []string{"Accept-Encoding, origin"}) {
		t.Fatalf("Vary = %q", got)
	}
}

// Fetch reads an exposed "*" as a field named "*" on a credentialed
// request: New refuses it with AllowCredentials and sends it without.
func TestExposeAnyConfig(t *testing.T) {
	tests := []struct {
		name    string
		origins []string
		exposed []string
		creds   bool
		ok      bool
	}{
		{"any without credentials", []string{"https://app.example"}, []string{"*"}, false, true},
		{"any with credentials", []string{"https://app.example"}, []string{"*"}, true, false},
		{"any among names with credentials", []string{"https://app.example"}, []string{"X-Request-Id", " * "}, true, false},
		{"names with credentials", []string{"https://app.example"}, []string{"X-Request-Id"}, true, true},
		{"any with credentials, no origin yet", nil, []string{"*"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got any
			var f api.Filter
			func() {
				defer func() { got = recover() }()
				f = cors.New(cors.Config{AllowedOrigins: tt.origins,
					ExposedHeaders: tt.exposed, AllowCredentials: tt.creds})
			}()
			if !tt.ok {
				if err, _ := got.(error); !errors.Is(err, cors.ErrConfig) {
					t.Fatalf("New: panic %v, want an error wrapping ErrConfig", got)
				}
				return
			}
			if got != nil {
				t.Fatalf("New panicked: %v", got)
			}
			w := wharftest.NewRecorder()
			h := api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error { return nil }), f)
			if err := h.Serve(w, wharftest.Request("GET", "/", "Origin", "https://app.example")); err != nil {
				t.Fatal(err)
			}
			if got, want := w.Header().Get("Access-Control-Expose-Headers"), strings.Join(tt.exposed, ", "); got != want {
				t.Errorf("Access-Control-Expose-Headers = %q, want %q", got, want)
			}
		})
	}
}
