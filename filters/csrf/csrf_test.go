package csrf_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/csrf"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// checkCase is one request and whether http.CrossOriginProtection, as its
// documentation describes it, lets it through. Origin "self" stands for
// the request's own "scheme://" + Host, "other-port" for its host with
// another port.
type checkCase struct {
	name                 string
	method, site, origin string
	allowed              bool
}

// checkCases mirror net/http's documented rules, with no trusted origins.
var checkCases = []checkCase{
	{name: "GET cross-site", method: "GET", site: "cross-site", origin: "https://evil.example", allowed: true},
	{name: "HEAD cross-site", method: "HEAD", site: "cross-site", origin: "https://evil.example", allowed: true},
	{name: "OPTIONS cross-site", method: "OPTIONS", site: "cross-site", origin: "https://evil.example", allowed: true},
	{name: "POST same-origin", method: "POST", site: "same-origin", allowed: true},
	{name: "POST none (typed URL, bookmark)", method: "POST", site: "none", allowed: true},
	{name: "POST same-site", method: "POST", site: "same-site", origin: "https://sub.example.com", allowed: false},
	{name: "POST cross-site", method: "POST", site: "cross-site", origin: "https://evil.example", allowed: false},
	{name: "PUT cross-site", method: "PUT", site: "cross-site", allowed: false},
	{name: "DELETE cross-site", method: "DELETE", site: "cross-site", allowed: false},
	{name: "PATCH cross-site", method: "PATCH", site: "cross-site", allowed: false},
	{name: "Sec-Fetch-Site wins over a matching Origin", method: "POST", site: "cross-site", origin: "self", allowed: false},
	{name: "unknown Sec-Fetch-Site value", method: "POST", site: "bogus", allowed: false},
	{name: "POST no Sec-Fetch-Site, Origin matches Host", method: "POST", origin: "self", allowed: true},
	{name: "POST no Sec-Fetch-Site, Origin of another host", method: "POST", origin: "https://evil.example", allowed: false},
	{name: "POST no Sec-Fetch-Site, Origin null", method: "POST", origin: "null", allowed: false},
	{name: "POST no Sec-Fetch-Site, Origin same host other port", method: "POST", origin: "other-port", allowed: false},
	{name: "POST neither field (curl, old browser)", method: "POST", allowed: true},
}

// originFor resolves the placeholders of a case's Origin for a request to
// scheme://host.
func originFor(c checkCase, scheme, host string) string {
	switch c.origin {
	case "self":
		return scheme + "://" + host
	case "other-port":
		h, _, _ := strings.Cut(host, ":")
		return scheme + "://" + h + ":1"
	}
	return c.origin
}

func head(method, host, site, origin string, kv ...string) *api.RequestHead {
	if site != "" {
		kv = append(kv, "Sec-Fetch-Site", site)
	}
	if origin != "" {
		kv = append(kv, "Origin", origin)
	}
	h := wharftest.Head(method, "/items/1", kv...)
	h.Host = host
	return h
}

// serve runs r through f to a handler that answers "ok", and reports
// whether the handler ran and the error the chain returned.
func serve(f api.Filter, h *api.RequestHead) (ran bool, err error) {
	r := api.NewRequest(context.Background(), h, nil)
	err = api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		ran = true
		return nil
	}), f).Serve(wharftest.NewRecorder(), r)
	return ran, err
}

func TestCheck(t *testing.T) {
	f := csrf.New(csrf.Config{})
	const host = "example.com:8443"
	for _, c := range checkCases {
		t.Run(c.name, func(t *testing.T) {
			ran, err := serve(f, head(c.method, host, c.site, originFor(c, "https", host)))
			if ran != c.allowed {
				t.Errorf("handler ran = %v, want %v (err %v)", ran, c.allowed, err)
			}
			if c.allowed {
				if err != nil {
					t.Errorf("err = %v", err)
				}
				return
			}
			if api.StatusOf(err) != http.StatusForbidden || !errors.Is(err, csrf.ErrCrossOrigin) {
				t.Errorf("err = %v (status %d), want a 403 wrapping ErrCrossOrigin", err, api.StatusOf(err))
			}
		})
	}
}

// A refusal says why, in the 403's cause (the text the default error
// page sends) and in what Deny gets: net/http's reason and the fields it
// was drawn from, for each way a request is refused; and nothing the
// client did not send, nor its cookie.
func TestRefusalSaysWhy(t *testing.T) {
	const host = "example.com:8443"
	long := "https://" + strings.Repeat("a", 300) + ".example"
	tests := []struct {
		name, site, origin string
		want               []string // in the cause's text
	}{
		{"Sec-Fetch-Site cross-site", "cross-site", "https://evil.example",
			[]string{"from Sec-Fetch-Site header", `Sec-Fetch-Site "cross-site"`, `Origin "https://evil.example"`}},
		{"Sec-Fetch-Site same-site", "same-site", "https://sub.example.com",
			[]string{"from Sec-Fetch-Site header", `Sec-Fetch-Site "same-site"`, `Origin "https://sub.example.com"`}},
		{"Sec-Fetch-Site unknown value", "bogus", "",
			[]string{"from Sec-Fetch-Site header", `Sec-Fetch-Site "bogus"`}},
		{"Origin of another host", "", "https://evil.example",
			[]string{"Origin does not match Host", `Origin "https://evil.example"`, `Host "example.com:8443"`}},
		{"Origin of another port", "", "https://example.com:1",
			[]string{"Origin does not match Host", `Origin "https://example.com:1"`, `Host "example.com:8443"`}},
		{"Origin null", "", "null",
			[]string{"Origin does not match Host", `Origin "null"`, `Host "example.com:8443"`}},
		{"Origin too long to repeat", "", long,
			[]string{"Origin does not match Host", `Origin "` + long[:256] + `..."`}},
	}
	var denied error
	deny := csrf.New(csrf.Config{
		TrustedOrigins: []string{"https://admin.example"},
		Deny: func(w api.Response, r *api.Request, err error) error {
			denied = err
			return api.Error(http.StatusForbidden, "no")
		},
	})
	f := csrf.New(csrf.Config{TrustedOrigins: []string{"https://admin.example"}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := head("POST", host, tt.site, tt.origin, "Cookie", "session=0123456789abcdef")
			ran, err := serve(f, h)
			var se *api.StatusError
			if ran || !errors.As(err, &se) || se.Code != http.StatusForbidden || !errors.Is(se.Err, csrf.ErrCrossOrigin) {
				t.Fatalf("ran %v, err %v: want a 403 whose cause wraps ErrCrossOrigin", ran, err)
			}
			denied = nil
			if _, err := serve(deny, h); err == nil || denied == nil {
				t.Fatalf("Deny not called (err %v)", err)
			}
			for _, got := range []error{se.Err, denied} {
				text := got.Error()
				if !errors.Is(got, csrf.ErrCrossOrigin) || !strings.HasPrefix(text, "csrf: cross-origin request refused: cross-origin request detected") {
					t.Errorf("%q: want ErrCrossOrigin, then net/http's reason", text)
				}
				for _, w := range tt.want {
					if !strings.Contains(text, w) {
						t.Errorf("%q does not say %s", text, w)
					}
				}
				for _, secret := range []string{"0123456789abcdef", "admin.example"} {
					if strings.Contains(text, secret) {
						t.Errorf("%q shows %s", text, secret)
					}
				}
			}
		})
	}
}

// TestExemptions: trusted origins and bypass patterns, from the Config or
// added to the Protection while serving, let chosen requests through and
// nothing else.
func TestExemptions(t *testing.T) {
	p := http.NewCrossOriginProtection()
	f := csrf.New(csrf.Config{
		TrustedOrigins:         []string{"https://app.example"},
		InsecureBypassPatterns: []string{"POST /hooks/{id}"},
		Protection:             p,
	})
	tests := []struct {
		name, method, path, site, origin string
		allowed                          bool
	}{
		{"trusted origin", "POST", "/items/1", "cross-site", "https://app.example", true},
		{"trusted origin without Sec-Fetch-Site", "POST", "/items/1", "", "https://app.example", true},
		{"trusted origin is exact", "POST", "/items/1", "cross-site", "https://app.example:444", false},
		{"untrusted origin", "POST", "/items/1", "cross-site", "https://evil.example", false},
		{"bypass pattern", "POST", "/hooks/7", "cross-site", "https://evil.example", true},
		{"bypass pattern is per method", "PUT", "/hooks/7", "cross-site", "https://evil.example", false},
		{"bypass pattern is per path", "POST", "/hooks/7/more", "cross-site", "https://evil.example", false},
		{"origin trusted later", "POST", "/items/1", "cross-site", "https://late.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.origin == "https://late.example" {
				if err := p.AddTrustedOrigin(tt.origin); err != nil {
					t.Fatal(err)
				}
			}
			h := head(tt.method, "example.com", tt.site, tt.origin)
			h.Path, h.Target = tt.path, tt.path
			ran, err := serve(f, h)
			if ran != tt.allowed {
				t.Errorf("handler ran = %v, want %v (err %v)", ran, tt.allowed, err)
			}
		})
	}
}

// TestDeny: a Deny func answers refusals, with the cause and net/http's
// reason, and is not called for allowed requests.
func TestDeny(t *testing.T) {
	var denied error
	f := csrf.New(csrf.Config{Deny: func(w api.Response, r *api.Request, err error) error {
		denied = err
		return api.Error(http.StatusTeapot, "no")
	}})
	_, err := serve(f, head("POST", "example.com", "same-origin", ""))
	if err != nil || denied != nil {
		t.Fatalf("allowed request: err %v, Deny called with %v", err, denied)
	}
	_, err = serve(f, head("POST", "example.com", "cross-site", "https://evil.example"))
	if api.StatusOf(err) != http.StatusTeapot {
		t.Errorf("err = %v, want Deny's", err)
	}
	if !errors.Is(denied, csrf.ErrCrossOrigin) || !strings.Contains(denied.Error(), "Sec-Fetch-Site") {
		t.Errorf("Deny got %v, want ErrCrossOrigin and net/http's reason", denied)
	}
}

func TestBadConfigPanics(t *testing.T) {
	for _, origin := range []string{"app.example", "https://app.example/path", "https://"} {
		t.Run(origin, func(t *testing.T) {
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, csrf.ErrConfig) {
					t.Errorf("recovered %v, want an error wrapping ErrConfig", err)
				}
			}()
			csrf.New(csrf.Config{TrustedOrigins: []string{origin}})
		})
	}
	for _, pat := range []string{"/webhooks/*", "POST /webhooks/*", "POST example.com/hooks/*"} {
		t.Run(pat, func(t *testing.T) {
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, csrf.ErrConfig) || !strings.Contains(err.Error(), "ServeMux") {
					t.Errorf("recovered %v, want an error wrapping ErrConfig that names ServeMux's syntax", err)
				}
			}()
			csrf.New(csrf.Config{InsecureBypassPatterns: []string{pat}})
		})
	}
	// What ServeMux itself rejects, a malformed pattern or two that
	// conflict, is a configuration error like the others: net/http's
	// panic, wrapped.
	for _, pats := range [][]string{{"POST /hooks/{id"}, {"*.pdf"}, {"POST /hooks/{id}", "POST /hooks/{name}"}} {
		t.Run(strings.Join(pats, ", "), func(t *testing.T) {
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, csrf.ErrConfig) || !strings.Contains(err.Error(), pats[len(pats)-1]) {
					t.Errorf("recovered %v, want an error wrapping ErrConfig that names the pattern", err)
				}
			}()
			csrf.New(csrf.Config{InsecureBypassPatterns: pats})
		})
	}
	// ServeMux's own forms are taken.
	csrf.New(csrf.Config{InsecureBypassPatterns: []string{"POST /webhooks/", "/hooks/{id}", "GET /files/{path...}"}})
}
