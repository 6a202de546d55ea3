package auth

import (
	"net/http"
	"slices"

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

	// LoginURL, if set, is where a request without a user is redirected
	// (303 See Other), as a browser application sends visitors to its
	// login form. Empty means such a request is answered 401, as an API
	// answers. Guard a browser's pages and an API's paths with two
	// Required filters if an application has both. Behind FormLogin, a
	// GET or HEAD that is redirected leaves its target (path and query)
	// in the session, and the next successful login returns there rather
	// than to FormConfig.Target: the visitor lands on the page they asked
	// for. That is the client's request, also where Required guards the
	// target of a forward (dispatcher.WithFilters) or of an error page's:
	// a page that forwards to a guarded view is returned to, not the
	// view, and a POST whose error page is guarded leaves nothing. Behind SessionUser alone nothing is kept (no login of this
	// package's would return there), and an anonymous visitor is given
	// no session.
	LoginURL string

	// Challenge is the WWW-Authenticate value of the 401. Empty means
	// `Form realm="wharf"`: a scheme no browser acts on, so that a script
	// gets the 401 instead of a password dialog, as suits a form login.
	// Behind Bearer, say `Bearer realm="api"`.
	Challenge string
}

type required struct {
	roles     []string
	loginURL  string
	challenge string
}

// Required returns a filter that passes on only requests that carry a
// User (attached by Basic, Bearer, SessionUser, FormLogin or any filter
// that calls WithUser before it), holding one of cfg.Roles if there are any.
//
// Goroutines: call Required at setup time; the filter is safe for
// concurrent use, and each call of its Filter method comes from the
// request's serialized task.
func Required(cfg RequiredConfig) api.Filter {
	f := &required{roles: slices.Clone(cfg.Roles), loginURL: cfg.LoginURL, challenge: cfg.Challenge}
	if f.challenge == "" {
		f.challenge = "Form " + realmParam("")
	}
	return f
}

func (f *required) Filter(w api.Response, r *api.Request, next api.Chain) error {
	u, ok := UserOf(r)
	if !ok {
		if f.loginURL != "" {
			if l, ok := r.Attribute(userKey{}).(*sessionLookup); ok && l.form {
				// FormLogin filtered r, so a session Manager did; its
				// login is what returns to the page.
				if page := returnTarget(r); page != "" {
					session.Of(r).Set(sessionReturn, page)
				}
			}
			w.Header().Set("Location", f.loginURL)
			return w.SetStatus(http.StatusSeeOther)
		}
		return unauthorized(w, f.challenge, ErrNoCredentials)
	}
	if len(f.roles) > 0 && !slices.ContainsFunc(f.roles, u.HasRole) {
		return &api.StatusError{Code: http.StatusForbidden, Err: ErrForbidden}
	}
	return next.Next(w, r)
}
