// Package auth authenticates requests and hands the user to handlers.
//
// The user is a User, attached to the request as an attribute: a filter
// that authenticates a request passes WithUser(r, u), a new Request, to
// the rest of the chain, and handlers read it with UserOf. The Request is
// immutable, so the user a handler sees is the one its chain attached, on
// every goroutine and after any suspension; a request no filter
// authenticated has none.
//
// Three filters establish a user, one per way a client proves itself:
//
//   - Basic: HTTP Basic authentication (RFC 7617), for scripts and
//     machine clients; Users checks a static table in constant time.
//   - Bearer: bearer tokens (RFC 6750), checked by a function of the
//     program's (an API key table, a JWT verifier, an introspection call).
//   - FormLogin: an HTML login form whose POST puts the user into the
//     session of package session, where later requests find it.
//
// A program that logs in with a handler of its own (a JSON login API, an
// OAuth callback) calls Login and Logout, which put the user into the
// session and end it as FormLogin does, and maps SessionUser, the filter
// that reads the user back on later requests (FormLogin's filter does that
// too).
//
// Required then guards paths that need a user (and optionally a role),
// whichever filter attached it: a 401 for APIs, a redirect to a login page
// for browsers.
//
// Every 401 carries a WWW-Authenticate challenge naming the scheme and
// realm, as RFC 9110 requires. A request with more than one Authorization
// field, which has no list form, is a 400 without one
// (ErrAuthorizationRepeated). Secrets are compared in constant time where
// this package compares them (Users), passwords are never logged nor put
// into errors, and the errors' texts, which reach the client in the
// container's default error page, say only what failed.
//
// The filters do not protect against cross-site request forgery: a
// browser attaches Basic credentials and session cookies to forged
// requests too. Put filters/csrf in front of every state-changing handler,
// the login form's POST included.
//
// Package auth imports api and session, and the standard library.
package auth
