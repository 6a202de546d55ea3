package auth

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/session"
)

// RequiredConfig says what Required demands and how it answers a request
// that falls short. The zero value demands any user and answers 401.
type RequiredConfig struct {
	// Roles, if any, are the roles of which the user must hold at least
	// one; a user with none of them is answered 403 (cause ErrForbidden).
	// Empty means any user will do.
	Roles []string

	// LoginURL, if set, is where a browser's request without a user is
	// redirected (303 See Other, answered by api.Redirect, as
	// http.Redirect answers: a short page with the link for a GET), as a
	// browser application sends visitors to its login form; other requests without a user get the 401 (see
	// Required for which is which). Empty means every request without a
	// user is answered 401, as an API answers. Behind FormLogin, a
	// GET or HEAD that is redirected leaves its target (path and query)
	// in the session, and the next successful login returns there rather
	// than to FormConfig.Target: the visitor lands on the page they asked
	// for. That is the client's request, also where Required guards the
	// target of a forward (dispatcher.WithFilters) or of an error page's:
	// a page that forwards to a guarded view is returned to, not the
	// view, and a POST whose error page is guarded leaves nothing.
	// Behind SessionUser alone nothing is kept (no login of this
	// package's would return there), and an anonymous visitor is given
	// no session. A request answered 401 instead keeps nothing either.
	LoginURL string

	// Challenge, if set, is the WWW-Authenticate value of every 401.
	// Empty means the challenges of the Optional Basic and Bearer filters
	// that passed the request on (one field each, in the order they ran),
	// so that a client is asked for what those filters take; and, where
	// there are none, or for a browser's request (one that sends
	// Sec-Fetch-Mode) when LoginURL is set, `Form realm="wharf"`: a
	// scheme no browser acts on, so that a script gets the 401 instead
	// of a password dialog, as suits a form login. An API whose clients
	// log in by a handler of the program's (ExampleSessionUser) and send
	// a token sets its own: `Bearer realm="api"`, say.
	Challenge string
}

type required struct {
	roles     []string
	loginURL  string
	challenge string // "" for the Optional filters' or formChallenge
}

// formChallenge is the challenge of Required's 401 when neither the
// configuration nor an Optional filter names one.
var formChallenge = "Form " + realmParam("")

// Required returns a filter that passes on only requests that carry a
// User (attached by Basic, Bearer, SessionUser, FormLogin or any filter
// that calls WithUser before it), holding one of cfg.Roles if there are any.
//
// A request without a user is redirected to cfg.LoginURL, if set, when it
// looks like a browser loading a page: when its Sec-Fetch-Mode field,
// which browsers send and scripts cannot set, is "navigate"; or, from a
// client that sends no Sec-Fetch-Mode (an older browser, or no browser),
// when it carries no Authorization field and its Accept field admits
// text/html (no Accept field admits everything); never when it asks to
// upgrade the connection (an Upgrade field: a WebSocket handshake). Any
// other request without a user, which a login page would not serve (a
// script's fetch, an image, a WebSocket, a client that asks for JSON or
// authenticates by a header), is answered 401 with the challenge
// cfg.Challenge describes, cause ErrNoCredentials. So one Required guards paths that browsers log into
// with a form and API clients with Basic or Bearer credentials, behind
// those filters with Optional set (ExampleBasic_optional).
//
// Goroutines: call Required at setup time; the filter is safe for
// concurrent use, and each call of its Filter method comes from the
// request's serialized task.
func Required(cfg RequiredConfig) api.Filter {
	return &required{roles: slices.Clone(cfg.Roles), loginURL: cfg.LoginURL, challenge: cfg.Challenge}
}

func (f *required) Filter(w api.Response, r *api.Request, next api.Chain) error {
	u, ok := UserOf(r)
	if !ok {
		if f.loginURL != "" && navigation(r.Header()) {
			if l, ok := r.Attribute(userKey{}).(*sessionLookup); ok && l.form {
				// FormLogin filtered r, so a session Manager did; its
				// login is what returns to the page. The page goes in
				// the session that login reads, the one FormLogin's
				// filter saw (l.login's), not r's: a Manager of an
				// area's own mapped inside (on "/admin/*") gives r
				// another session, which the login never reads.
				if page := returnTarget(r); page != "" {
					session.Of(l.login).Set(sessionReturn, page)
				}
			}
			// As http.Redirect: a short page with the link, for a
			// client that does not follow it.
			return api.Redirect(w, r, f.loginURL, http.StatusSeeOther)
		}
		return f.unauthorized(w, r)
	}
	if len(f.roles) > 0 && !slices.ContainsFunc(f.roles, u.HasRole) {
		return &api.StatusError{Code: http.StatusForbidden, Err: ErrForbidden}
	}
	return next.Next(w, r)
}

// unauthorized answers a request without a user that is not redirected.
func (f *required) unauthorized(w api.Response, r *api.Request) error {
	if f.challenge != "" {
		return unauthorized(w, f.challenge, ErrNoCredentials)
	}
	// A browser offered Basic opens its password dialog over the page
	// whose script made the request, where the application has a login
	// page of its own.
	if f.loginURL == "" || !r.Header().Has("Sec-Fetch-Mode") {
		if cs := optionalChallenges(r); len(cs) > 0 {
			for _, c := range cs {
				w.Header().Add("WWW-Authenticate", c)
			}
			return &api.StatusError{Code: http.StatusUnauthorized, Err: ErrNoCredentials}
		}
	}
	return unauthorized(w, formChallenge, ErrNoCredentials)
}

// navigation reports whether h is the header of a browser loading a page,
// which a redirect to the login page serves.
func navigation(h api.Header) bool {
	if h.Has("Upgrade") {
		// A WebSocket handshake (Sec-Fetch-Mode "websocket" where a
		// browser sends it; no Accept field from older ones, nor from
		// other clients) or another protocol's: a login page would not
		// serve it, and the login would return to it.
		return false
	}
	if mode := h.Get("Sec-Fetch-Mode"); mode != "" {
		// The browser's own word, which no script can forge.
		return mode == "navigate"
	}
	// An older browser, or no browser. Credentials of a scheme no filter
	// took are a client's that authenticates by a header, which a login
	// form would not help.
	return !h.Has("Authorization") && acceptsHTML(h.Values("Accept"))
}

// acceptsHTML reports whether the Accept field values accept admit
// text/html: no Accept field admits any type (RFC 9110 §12.5.1), and the
// most specific range that matches text/html decides, so that
// "*/*, text/html;q=0" does not.
func acceptsHTML(accept []string) bool {
	if len(accept) == 0 {
		return true
	}
	best, admits := -1, false // the specificity of the best range so far, and whether its q is above 0
	for _, v := range accept {
		for elem := range strings.SplitSeq(v, ",") {
			rng, params, _ := strings.Cut(elem, ";")
			var spec int
			switch rng = strings.TrimSpace(rng); {
			case rng == "*/*":
				spec = 0
			case strings.EqualFold(rng, "text/*"):
				spec = 1
			case strings.EqualFold(rng, "text/html"):
				spec = 2
			default:
				continue
			}
			if spec > best {
				best, admits = spec, !zeroQ(params)
			}
		}
	}
	return admits
}

// zeroQ reports whether the parameters of a media range give it a weight
// of 0: "not acceptable" (RFC 9110 §12.4.2).
func zeroQ(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(name), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			return err == nil && q == 0
		}
	}
	return false
}
