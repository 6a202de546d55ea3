// Package csrf is a filter that refuses cross-site request forgery: a
// state-changing request (any method but GET, HEAD and OPTIONS) that a
// browser sent on behalf of another origin.
//
// The rules are net/http's own: the filter hands each request to an
// http.CrossOriginProtection and refuses what its Check refuses. Briefly, a
// safe method always passes; a Sec-Fetch-Site of "same-origin" or "none"
// passes and any other value is refused; without Sec-Fetch-Site, an Origin
// whose host:port equals the request's Host passes, a different one is
// refused, and a request with neither field (a non-browser client, or a
// browser older than 2023) passes. Trusted origins and bypass patterns let
// chosen cross-origin requests through. Keeping the rules in one place,
// the standard library, means a fix there is a fix here.
//
// Because the check needs no token, forms and scripts need no change: the
// browser's own headers carry the proof. It protects what cookies and HTTP
// authentication protect, so it belongs in front of every handler that
// acts on a session (package auth's form login, whose login form is itself
// a target of login CSRF, included). It is no substitute for keeping GET
// free of side effects: safe methods are never checked.
//
// A refused request's error says why: net/http's reason, and the
// Sec-Fetch-Site, Origin and Host it was drawn from, which the default
// 403 page shows the client (they are the client's own) and a request log
// records.
//
// Check reads the method, the Sec-Fetch-Site and Origin fields and the
// Host, and a bypass pattern also the path; the filter builds a
// *http.Request with exactly those from the api.Request instead of
// converting the whole request. The Host is the request's authority on
// every protocol: the Host field on HTTP/1.1, :authority on HTTP/2 and
// HTTP/3.
//
// Package csrf imports only api and the standard library.
package csrf
