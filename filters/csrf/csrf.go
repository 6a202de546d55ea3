package csrf

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/wharf-go/wharf/api"
)

// Errors of package csrf.
var (
	// ErrCrossOrigin is what a refused request fails with: the default
	// answer is a 403 whose cause wraps it, and Config.Deny receives that
	// cause. It wraps net/http's reason too, and says what it was drawn
	// from: the request's Sec-Fetch-Site, Origin and Host.
	ErrCrossOrigin = errors.New("csrf: cross-origin request refused")

	// ErrConfig is the panic value of New for a configuration
	// http.CrossOriginProtection rejects (a trusted origin that is not
	// "scheme://host[:port]", a bypass pattern ServeMux refuses) or that
	// would never apply (a bypass pattern in a container's syntax); it
	// wraps the reason.
	ErrConfig = errors.New("csrf: invalid configuration")
)

// Config says which cross-origin requests to let through and how to answer
// the others. The zero value protects every state-changing request and
// trusts no other origin.
type Config struct {
	// TrustedOrigins lists origins, exactly as browsers send them in the
	// Origin field ("https://app.example", "http://localhost:8080"),
	// whose cross-origin requests are allowed. Empty means none.
	TrustedOrigins []string

	// InsecureBypassPatterns lists net/http ServeMux patterns
	// ("POST /webhooks/{id}") whose requests are allowed whatever their
	// origin; they are matched against the request's full path. Empty
	// means none. As the name warns, a bypassed handler must defend
	// itself (a webhook signature, say).
	InsecureBypassPatterns []string

	// Protection is the http.CrossOriginProtection that decides; the
	// TrustedOrigins and InsecureBypassPatterns are added to it. Nil means
	// a new one. Pass one to add trusted origins while serving: its
	// AddTrustedOrigin may be called concurrently with requests. The
	// filter asks it only whether a request passes (its Check): a deny
	// handler set on it with SetDenyHandler is never called, since a
	// refusal is answered as Deny says.
	Protection *http.CrossOriginProtection

	// Deny answers a refused request in place of the rest of the chain;
	// err wraps ErrCrossOrigin and net/http's reason, and names the
	// fields it was drawn from. Nil means the filter returns a 403
	// api.StatusError whose cause is that error, answered by the
	// container's error pages: the default one sends the cause's text
	// to the client, and the request log (filters/requestlog) records
	// it, so that whoever's form was refused reads why.
	Deny func(w api.Response, r *api.Request, err error) error
}

type filter struct {
	p    *http.CrossOriginProtection
	deny func(w api.Response, r *api.Request, err error) error
}

// New returns the filter for cfg. It panics with an error wrapping
// ErrConfig if a trusted origin is malformed, or a bypass pattern is a
// container's prefix pattern ("/webhooks/*", where ServeMux's
// "/webhooks/" is meant) or one net/http's AddInsecureBypassPattern
// refuses (malformed, or in conflict with one added before; the error
// wraps net/http's): a configuration is checked when it is registered, as
// container patterns are.
//
// Goroutines: call New at setup time. The filter is safe for concurrent
// use; each call of its Filter method comes from the request's serialized
// task.
func New(cfg Config) api.Filter {
	p := cfg.Protection
	if p == nil {
		p = http.NewCrossOriginProtection()
	}
	for _, o := range cfg.TrustedOrigins {
		if err := p.AddTrustedOrigin(o); err != nil {
			panic(fmt.Errorf("%w: %w", ErrConfig, err))
		}
	}
	for _, pat := range cfg.InsecureBypassPatterns {
		// A container's prefix pattern is a valid ServeMux pattern that
		// matches only a path ending in a literal "*": the bypass would
		// silently never apply.
		_, path, _ := strings.Cut(pat, " ")
		if path == "" {
			path = pat
		}
		if strings.HasSuffix(strings.TrimSpace(path), "/*") {
			panic(fmt.Errorf("%w: bypass pattern %q is in a container's syntax; InsecureBypassPatterns are net/http ServeMux patterns: %q matches the subtree", ErrConfig, pat, strings.TrimSuffix(pat, "*")))
		}
		addBypass(p, pat)
	}
	return &filter{p: p, deny: cfg.Deny}
}

// addBypass is p.AddInsecureBypassPattern, whose panic for a pattern
// ServeMux refuses becomes New's: an error wrapping ErrConfig, so that a
// caller that checks a configuration tells each mistake in it the same
// way.
func addBypass(p *http.CrossOriginProtection, pat string) {
	defer func() {
		switch v := recover().(type) {
		case nil:
		case error:
			panic(fmt.Errorf("%w: bypass pattern %q: %w", ErrConfig, pat, v))
		default:
			panic(fmt.Errorf("%w: bypass pattern %q: %v", ErrConfig, pat, v))
		}
	}()
	p.AddInsecureBypassPattern(pat)
}

// Filter passes r on if the protection allows it, and answers it with Deny
// or a 403 if not.
func (f *filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	switch r.Method() {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		// Check allows these always (its documentation says so): the
		// *http.Request it would read is not worth building for them,
		// most of a site's requests.
		return next.Next(w, r)
	}
	err := f.p.Check(checkRequest(r))
	if err == nil {
		return next.Next(w, r)
	}
	err = refused(r, err)
	if f.deny != nil {
		return f.deny(w, r, err)
	}
	return &api.StatusError{Code: http.StatusForbidden, Err: err}
}

// refused is the error of a request Check refused with reason: net/http's
// reason and the fields it was drawn from, as the request sent them. A
// 403 that only said "refused" left a developer guessing (a front end
// served from another port, a page of another site, a proxy that
// rewrites Host); the default error page sends this text to the client,
// and it holds nothing the client did not send itself: no cookie, no
// configured trusted origin.
func refused(r *api.Request, reason error) error {
	var b strings.Builder
	for _, f := range [...]struct{ k, v string }{
		{"Sec-Fetch-Site", r.Header().Get("Sec-Fetch-Site")},
		{"Origin", r.Header().Get("Origin")},
		{"Host", r.Host()}, // the authority Check compared Origin with, on every protocol
	} {
		k, v := f.k, f.v
		if v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if len(v) > maxShown {
			v = v[:maxShown] + "..."
		}
		fmt.Fprintf(&b, "%s %q", k, v)
	}
	if b.Len() == 0 {
		return fmt.Errorf("%w: %w", ErrCrossOrigin, reason)
	}
	return fmt.Errorf("%w: %w (%s)", ErrCrossOrigin, reason, b.String())
}

// maxShown bounds each field value a refusal repeats: enough for any
// origin, and no echo of a large field.
const maxShown = 256

// checkRequest builds the *http.Request Check reads: method, the two header
// fields it consults, Host, and the path a bypass pattern is matched
// against. api.ToHTTPRequest would parse the target and copy every header
// field for nothing.
func checkRequest(r *api.Request) *http.Request {
	// Check reads each field with Get, so the first value is all it needs.
	var h http.Header
	var vs []string // the values of both fields, in one allocation
	for _, k := range [...]string{"Sec-Fetch-Site", "Origin"} {
		if v := r.Header().Get(k); v != "" {
			if h == nil {
				h, vs = make(http.Header, 2), make([]string, 0, 2)
			}
			vs = append(vs, v)
			h[k] = vs[len(vs)-1 : len(vs) : len(vs)]
		}
	}
	return &http.Request{
		Method: r.Method(),
		URL:    &url.URL{Path: r.Path(), RawQuery: r.RawQuery()},
		Header: h,
		Host:   r.Host(),
	}
}
