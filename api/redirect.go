package api

import (
	"fmt"
	"net/http"
	"net/url"
)

// Redirect answers r with a redirect to target, as net/http's
// http.Redirect answers its request, and with its code: it sets Location
// and the status code, a redirection (3xx: usually http.StatusFound,
// http.StatusSeeOther or http.StatusPermanentRedirect).
// A target without a scheme or host is resolved against r's path (Path,
// the whole path, context path included) and cleaned, so "edit" from
// /items/7 is /items/edit and "../x" from /a/b/c is /a/x; its non-ASCII
// bytes are percent-encoded. A GET or HEAD whose response has no
// Content-Type yet gets an HTML one, and a GET a short HTML body with
// the link, for clients that do not follow redirects.
//
// net/http's http.Redirect does the work, so the result is the one a
// net/http handler gets. Where http.Redirect takes any code, Redirect
// refuses one that is no redirection with a *StatusError of 500 and
// changes nothing: a code outside 300..399, or 304 (Not Modified), 305
// (Use Proxy, deprecated) or 306 (unused). A Location on a 200, a 404 or
// a 304 is a mistake no client follows (and a 304 has no body for the
// link: writing it would fail the request).
//
// It returns the first error of setting the status (ErrCommitted once
// the head was sent) or of writing the body, and writes no body when the
// status was refused. A Handler returns it, so that a redirect that could
// not be sent is not taken for one that was:
//
//	return api.Redirect(w, r, "/login", http.StatusSeeOther)
//
// A Response whose status is not its own to set, that of a resource
// dispatcher.Include runs, drops the status and the header fields:
// Redirect then writes no body either, and returns nil. As the Servlet
// API's sendRedirect in an include, it is ignored, and the link is not
// written into the includer's page.
//
// Redirect does not check where target leads, as http.Redirect does
// not: "//evil.example/x" and "/\evil.example" go to another host. A
// target taken from the request (a page to return to after a login) is
// an open redirect unless the handler checks it names a path of its own
// site first.
//
// Goroutines: as Response's methods, from the serialized task that holds
// w.
func Redirect(w Response, r *Request, target string, code int) error {
	if code < 300 || code > 399 || code == http.StatusNotModified || code == http.StatusUseProxy || code == 306 {
		return &StatusError{Code: http.StatusInternalServerError, Err: fmt.Errorf("api.Redirect: status %d is not a redirection (3xx)", code)}
	}
	rw := redirectWriter{w: w}
	http.Redirect(&rw, &http.Request{Method: r.Method(), URL: &url.URL{Path: r.Path()}}, target, code)
	return rw.err
}

// redirectWriter is the http.ResponseWriter http.Redirect writes to: w,
// keeping the first error, since http.Redirect returns none.
type redirectWriter struct {
	w   Response
	err error
	// ignored: w took the status without error and kept its own (an
	// included resource's Response): there is no redirect for the body
	// to stand for.
	ignored bool
}

func (rw *redirectWriter) Header() http.Header { return rw.w.Header() }

func (rw *redirectWriter) WriteHeader(code int) {
	err := rw.w.SetStatus(code)
	switch {
	case err != nil:
		if rw.err == nil {
			rw.err = err
		}
	case rw.w.Status() != code:
		rw.ignored = true
	}
}

func (rw *redirectWriter) Write(p []byte) (int, error) {
	if rw.err != nil {
		return 0, rw.err
	}
	if rw.ignored {
		return len(p), nil
	}
	n, err := rw.w.Write(p)
	if err != nil {
		rw.err = err
	}
	return n, err
}
