package api

import (
	"fmt"
	"net/http"
)

// Cookie returns the named cookie sent with the request, or
// http.ErrNoCookie. If several cookies have the name, it returns the first
// (CookiesNamed returns them all).
// Parsing is net/http's own, so a handler sees exactly the cookies a
// net/http handler would: pairs net/http skips as invalid are skipped here.
// The returned Cookie is new; the caller owns it.
//
// Any goroutine may call Cookie, at any time.
func (r *Request) Cookie(name string) (*http.Cookie, error) {
	hr := r.cookieRequest()
	return hr.Cookie(name)
}

// Cookies returns every cookie sent with the request, from all Cookie header
// fields in the order received, skipping invalid pairs but keeping the
// valid ones around them, as net/http's Request.Cookies does (including its
// limit on the number of cookies). The slice and the Cookies are new; the
// caller owns them.
//
// Any goroutine may call Cookies, at any time.
func (r *Request) Cookies() []*http.Cookie {
	hr := r.cookieRequest()
	return hr.Cookies()
}

// CookiesNamed returns the cookies sent with the request that have the
// given name, in the order received, or an empty slice, as net/http's
// Request.CookiesNamed does. A browser sends one cookie per Path and Domain
// that matches, the most specific Path first: a cookie some earlier page
// set on a narrower Path comes before the one a filter keeps on "/", so a
// reader that must find its own (a session ID the store knows) looks
// through them all. The slice and the Cookies are new; the caller owns
// them.
//
// Any goroutine may call CookiesNamed, at any time.
func (r *Request) CookiesNamed(name string) []*http.Cookie {
	hr := r.cookieRequest()
	return hr.CookiesNamed(name)
}

// cookieRequest returns an http.Request holding only r's Cookie fields.
// Handing the parse to net/http, rather than calling http.ParseCookie per
// field line, is what keeps the two in step: ParseCookie rejects a whole
// line for one bad pair and does not apply the httpcookiemaxnum limit
// across lines as Request.Cookies does. The http.Request does not escape,
// so it costs no allocation.
func (r *Request) cookieRequest() http.Request {
	return http.Request{Header: http.Header{"Cookie": r.head.Header.Values("Cookie")}}
}

// SetCookie adds a Set-Cookie header field for c to w. It validates c with
// c.Valid first: an invalid cookie (a bad name, value, domain, path or
// expiry) adds nothing and returns an error wrapping ErrInvalidCookie and
// net/http's reason. Once w is committed the header can no longer change,
// so SetCookie adds nothing and returns ErrCommitted. Callers that built c
// from constants may ignore the error.
//
// Only the serialized task that holds w may call SetCookie, as for any
// Response method.
func SetCookie(w Response, c *http.Cookie) error {
	if err := c.Valid(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCookie, err)
	}
	if w.Committed() {
		return ErrCommitted
	}
	w.Header().Add("Set-Cookie", c.String())
	return nil
}
