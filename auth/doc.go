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
// whichever filter attached it: a redirect to a login page for a browser
// loading a page, a 401 for the rest.
//
// Browsers and API clients may share paths. Basic and Bearer with
// Optional set pass a request without credentials of their scheme on
// without a user, to SessionUser or FormLogin and then Required, whose
// 401 carries their challenges (ExampleBasic_optional). Credentials of
// their scheme that are wrong or malformed are refused all the same: a
// client that sent them is told so, not served as anonymous. Spring
// Security's BasicAuthenticationFilter treats a request without Basic
// credentials so, and RFC 6750 §3.1 tells a request that sent no token
// (a challenge without an error code) from one whose token is bad. Jetty,
// on a path without a security constraint, defers authentication until
// the application asks for the user and sends no challenge there; Go
// middleware often splits the work in two as this package does (go-chi's
// jwtauth: a Verifier that reads the token and an Authenticator that
// refuses a request without a valid one), though its Verifier passes a
// bad token on, with its error, for the Authenticator to refuse.
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
