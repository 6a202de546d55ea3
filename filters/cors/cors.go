package cors

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wharf-go/wharf/api"
)

// Sentinel errors of package cors.
var (
	// ErrConfig is the panic value of New for an allowed origin that no
	// browser sends in its Origin field, which would never match, and for
	// an exposed "*" with AllowCredentials, which browsers read as a field
	// name; it wraps the reason.
	ErrConfig = errors.New("cors: invalid configuration")
)

// Config is the CORS policy. The zero value allows no origin, and New then
// returns a filter that only calls next.
//
// In each list, entries are trimmed of spaces and empty ones are skipped,
// so that a list split from a variable ("GET, PUT", or "" when it is
// unset) means what it says: a list of empty entries is an empty list.
type Config struct {
	// AllowedOrigins lists the origins allowed to read responses, as the
	// browser serializes them ("https://example.com", compared without
	// regard to case). "*" allows every origin. Empty means none: the filter
	// is a pass-through. There are no patterns: "https://*.example" makes
	// New panic, as does any entry a browser never sends (see New); empty
	// entries are skipped.
	//
	// With AllowCredentials, "*" lets every site read what its scripts
	// fetch with the user's cookies and HTTP authentication: list the
	// origins instead, unless the answers are meant for anyone. "*" then
	// leaves out the opaque origin "null" (a sandboxed document, a file:
	// page, any site can make one), which is allowed only when listed.
	AllowedOrigins []string
	// AllowedMethods lists the methods a cross-origin request may use,
	// compared case-sensitively as Fetch does, once each entry is
	// normalized as Fetch normalizes a request's method: DELETE, GET,
	// HEAD, OPTIONS, POST and PUT, written in any case, are upper-cased
	// (browsers send them so), and other methods are kept as written
	// ("patch" and "PATCH" are two methods). "*" allows any. Empty means
	// GET, POST and HEAD. A preflight for GET, POST or HEAD always succeeds
	// (for an allowed origin and allowed headers), since browsers never
	// block those methods on the method list.
	AllowedMethods []string
	// AllowedHeaders lists the request header fields a cross-origin request
	// may send (case-insensitive; "*" allows any). Empty means any field the
	// preflight asks for is allowed and reflected back.
	AllowedHeaders []string
	// ExposedHeaders lists response header fields scripts may read besides
	// the CORS-safelisted ones. Empty means none are announced. "*"
	// exposes every field, but only without AllowCredentials: Fetch reads
	// it as a field named "*" on a request with credentials, so New
	// panics on the combination; list the fields instead.
	ExposedHeaders []string
	// AllowCredentials sends Access-Control-Allow-Credentials: true, letting
	// requests carry cookies and HTTP authentication. False omits it.
	AllowCredentials bool
	// MaxAge is how long a browser may cache a preflight answer, sent in
	// whole seconds (rounded down, and at least 1). Zero omits Access-Control-Max-Age (the browser's
	// default, 5 seconds, applies); a negative value sends 0, which
	// disables caching.
	MaxAge time.Duration
}

type filter struct {
	anyOrigin  bool
	origins    []string // lower case
	methods    []string
	anyMethod  bool     // AllowedMethods contains "*"
	allowAll   bool     // AllowedHeaders empty or contains "*"
	headers    []string // lower case
	methodList string   // Access-Control-Allow-Methods value
	exposed    string   // Access-Control-Expose-Headers value
	creds      bool
	maxAge     string // "" to omit
}

// New returns the CORS filter for cfg. The slices are copied. It panics
// with an error wrapping ErrConfig if an allowed origin is not "*",
// "null" or an origin as a browser serializes it: scheme://host[:port],
// without a path (a trailing slash included), a wildcard or the scheme's
// default port, with a port written as a number without leading zeros, and
// an internationalized host in its ASCII form ("xn--bcher-kva.example",
// not "bücher.example"). Such an entry would never match, and the policy would
// silently allow less than it says. For the same reason it panics with
// such an error if ExposedHeaders holds "*" and AllowCredentials is set.
//
// Goroutines: call it at setup time; the filter it returns is safe for
// concurrent use, and each call of its Filter method must come from the
// request's serialized task.
func New(cfg Config) api.Filter {
	if cfg.AllowCredentials && slices.ContainsFunc(cfg.ExposedHeaders, func(h string) bool { return strings.TrimSpace(h) == "*" }) {
		// Fetch matches "*" literally on a request with credentials, so
		// the browser would hide every field the policy means to expose.
		panic(fmt.Errorf(`%w: ExposedHeaders "*" with AllowCredentials exposes a field named "*", not every field: list the fields`, ErrConfig))
	}
	f := &filter{creds: cfg.AllowCredentials}
	for _, o := range cfg.AllowedOrigins {
		o = strings.ToLower(strings.TrimSpace(o))
		if o == "" {
			// What strings.Split makes of an empty or trailing-comma list
			// (an unset environment variable): nothing, not a crash.
			continue
		}
		if o == "*" {
			f.anyOrigin = true
		} else if err := checkOrigin(o); err != nil {
			panic(fmt.Errorf("%w: allowed origin %q: %w", ErrConfig, o, err))
		}
		f.origins = append(f.origins, o)
	}
	if len(f.origins) == 0 {
		return api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			return next.Next(w, r)
		})
	}
	// A method is a token: " PUT" would never match, and an empty entry
	// would make a list that is not empty and allows nothing.
	f.methods = entries(cfg.AllowedMethods)
	for i, m := range f.methods {
		f.methods[i] = normalizeMethod(m)
	}
	if len(f.methods) == 0 {
		f.methods = []string{http.MethodGet, http.MethodPost, http.MethodHead}
	}
	f.anyMethod = slices.Contains(f.methods, "*")
	f.methodList = strings.Join(f.methods, ", ")
	for _, h := range entries(cfg.AllowedHeaders) {
		h = strings.ToLower(h)
		if h == "*" {
			f.allowAll = true
		}
		f.headers = append(f.headers, h)
	}
	f.allowAll = f.allowAll || len(f.headers) == 0
	// RFC 9110 §5.6.1: a sender does not generate empty list elements.
	f.exposed = strings.Join(entries(cfg.ExposedHeaders), ", ")
	switch {
	case cfg.MaxAge > 0:
		// Whole seconds, and at least one: "0" would disable the caching
		// asked for.
		f.maxAge = strconv.FormatInt(max(int64(cfg.MaxAge/time.Second), 1), 10)
	case cfg.MaxAge < 0:
		f.maxAge = "0"
	}
	return f
}

// Filter answers preflight requests and adds CORS headers to the responses
// of the others. It must be called from the request's serialized task (the
// filter chain does so).
func (f *filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	h := w.Header()
	addVary(h, "Origin")
	origin := r.Header().Get("Origin")
	// Has and Get rather than Values, which copies the values out: a
	// field sent empty still makes a preflight, one that allows nothing.
	if r.Method() == http.MethodOptions && origin != "" && r.Header().Has("Access-Control-Request-Method") {
		return f.preflight(w, r, origin, r.Header().Get("Access-Control-Request-Method"))
	}
	if origin != "" && f.originAllowed(origin) {
		h.Set("Access-Control-Allow-Origin", origin)
		if f.creds {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if f.exposed != "" {
			h.Set("Access-Control-Expose-Headers", f.exposed)
		}
	}
	err := next.Next(w, r)
	if !w.Committed() {
		// The handler may have replaced Vary (Header().Set, for a
		// negotiation of its own) or reset the response, or failed
		// after doing so (the container's error answer keeps Vary):
		// the head has not gone, so Origin goes back into it. A cache
		// that stored the answer without it would give one origin's
		// Access-Control-Allow-Origin, or none, to another's requests.
		addVary(w.Header(), "Origin")
	}
	return err
}

func (f *filter) preflight(w api.Response, r *api.Request, origin, method string) error {
	h := w.Header()
	addVary(h, "Access-Control-Request-Method")
	addVary(h, "Access-Control-Request-Headers")
	requested, ok := f.headersAllowed(r.Header().Values("Access-Control-Request-Headers"))
	method = strings.TrimSpace(method)
	if ok && f.originAllowed(origin) && f.methodAllowed(method) {
		h.Set("Access-Control-Allow-Origin", origin)
		if f.creds {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if f.anyMethod {
			// The method asked for, not "*": a credentialed request reads
			// "*" as a method of that name (Fetch), and the answer
			// already varies by Access-Control-Request-Method.
			h.Set("Access-Control-Allow-Methods", method)
		} else {
			h.Set("Access-Control-Allow-Methods", f.methodList)
		}
		if requested != "" {
			h.Set("Access-Control-Allow-Headers", requested)
		}
		if f.maxAge != "" {
			h.Set("Access-Control-Max-Age", f.maxAge)
		}
	}
	h.Del("Content-Length")
	h.Del("Content-Type")
	return w.SetStatus(http.StatusNoContent)
}

// entries returns list's entries trimmed of spaces, without the empty
// ones.
func entries(list []string) []string {
	var out []string
	for _, e := range list {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// normalizeMethod upper-cases m if it is one of the methods Fetch
// normalizes (https://fetch.spec.whatwg.org/#concept-method-normalize):
// a browser sends those, and asks for them in a preflight, in upper case
// whatever the script wrote, so "delete" as written would never match.
// Other methods are sent as the script wrote them, and kept so.
func normalizeMethod(m string) string {
	for _, n := range [...]string{http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPost, http.MethodPut} {
		if strings.EqualFold(m, n) {
			return n
		}
	}
	return m
}

// checkOrigin reports why o (lower case) can never equal the Origin field
// of a request, nil if it can.
func checkOrigin(o string) error {
	if o == "null" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil {
		return err
	}
	switch {
	case u.Scheme == "" || u.Host == "":
		return errors.New(`not "scheme://host[:port]"`)
	case o != u.Scheme+"://"+u.Host:
		// Origin has no path, query, fragment or userinfo: most often a
		// trailing slash.
		return errors.New("an origin is scheme://host[:port] and nothing else")
	case strings.Contains(u.Host, "*"):
		return errors.New("wildcards are not supported: list each origin")
	case u.Scheme == "https" && u.Port() == "443", u.Scheme == "http" && u.Port() == "80":
		return errors.New("browsers leave the default port out of Origin")
	case strings.HasSuffix(u.Host, ":"):
		return errors.New("an empty port: browsers leave the colon out of Origin")
	case u.Port() != "" && !canonicalPort(u.Port()):
		return errors.New("browsers send a port as a number from 0 to 65535 without leading zeros")
	case strings.ContainsFunc(u.Host, func(r rune) bool { return r >= utf8.RuneSelf }):
		// The URL standard serializes an internationalized domain name
		// in its ASCII form, and Origin carries that: "https://bücher.example"
		// arrives as "https://xn--bcher-kva.example".
		return errors.New("browsers send an internationalized host in its ASCII (xn--) form")
	}
	return nil
}

// canonicalPort reports whether port is a port number as the URL standard
// serializes it.
func canonicalPort(port string) bool {
	n, err := strconv.Atoi(port)
	return err == nil && n <= 65535 && strconv.Itoa(n) == port
}

// methodAllowed reports whether a preflight for method succeeds. The
// CORS-safelisted methods always do: a browser accepts them whatever
// Access-Control-Allow-Methods says.
func (f *filter) methodAllowed(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return true
	}
	if f.anyMethod {
		return method != "" // no method asked for is no preflight
	}
	return slices.Contains(f.methods, method)
}

func (f *filter) originAllowed(origin string) bool {
	if f.anyOrigin && !(f.creds && origin == "null") {
		return true
	}
	origin = strings.ToLower(origin)
	return slices.Contains(f.origins, origin)
}

// headersAllowed checks the Access-Control-Request-Headers values and returns
// the list to allow, lower-cased and comma-separated as Fetch sends it.
func (f *filter) headersAllowed(values []string) (string, bool) {
	// On the stack for the few names a preflight asks for: only Join's
	// result is kept.
	var stack [8]string
	names := stack[:0]
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if !f.allowAll && !slices.Contains(f.headers, name) {
				return "", false
			}
			names = append(names, name)
		}
	}
	return strings.Join(names, ", "), true
}

// addVary adds token to the Vary field unless it is already listed (or the
// field is "*").
func addVary(h http.Header, token string) {
	for _, v := range h.Values("Vary") {
		for t := range strings.SplitSeq(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.EqualFold(t, token) {
				return
			}
		}
	}
	h.Add("Vary", token)
}
