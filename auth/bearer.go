package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/wharf-go/wharf/api"
)

// BearerConfig configures bearer-token authentication. The zero value
// challenges for realm "wharf" and accepts no token.
type BearerConfig struct {
	// Realm names the protection space in the challenge. Empty means
	// DefaultRealm.
	Realm string

	// Check returns who token belongs to, or an error if it is not
	// valid. An error that carries an api.StatusError with a code other
	// than 401 (a 503 when the token store is down, say) is returned as it
	// is. An error that says the check could not be made, one wrapping
	// context.DeadlineExceeded, context.Canceled or a net.Error (a
	// timeout, an unreachable token store), is answered 503 with cause
	// ErrCheckFailed and no error="invalid_token", which would tell the
	// client to drop a token that may be valid. Any other error is
	// answered 401 with error="invalid_token". The text of these two,
	// which may describe the token, is not sent. It runs in the
	// request's serialized task and may block unless the chain is declared
	// non-blocking; ctx is the request's. Nil means every token is
	// refused. A User without a Name is refused as an invalid token too:
	// the request is never passed on with a user that names no one.
	Check func(ctx context.Context, token string) (User, error)

	// Optional, if true, passes a request that carries no Authorization
	// field of the Bearer scheme (none at all, or one of another scheme,
	// such as Basic) on without a user, rather than answering it 401:
	// a later filter may find one (SessionUser, FormLogin, an Optional
	// Basic), the handler may serve anonymous requests too, and Required
	// decides where a user is needed, answering 401 with this filter's
	// challenge (without an error code, as RFC 6750 §3.1 asks for a
	// request that sent no token). A token that is malformed (400),
	// refused (401, error="invalid_token") or could not be checked (503)
	// is answered all the same, and a repeated Authorization field 400: a
	// client that sent a wrong token is told so, not served as
	// anonymous. False means every request needs a token.
	Optional bool
}

type bearer struct {
	challenge string // without error
	invalid   string // with error="invalid_token"
	malformed string // with error="invalid_request"
	check     func(ctx context.Context, token string) (User, error)
	optional  *optional // nil unless cfg.Optional
}

// Bearer returns a filter that requires a bearer token (RFC 6750) in the
// Authorization field that cfg.Check accepts, and passes the request on
// with the User attached. Tokens in the query or the body, which RFC 6750
// also allows, are not read: URLs end up in logs and histories.
//
// The answers follow RFC 6750 §3: a request with no Authorization field
// of the Bearer scheme gets 401 with `WWW-Authenticate: Bearer
// realm="..."` (cause ErrNoCredentials); one whose token Check refuses
// gets 401 with `Bearer realm="...", error="invalid_token"` (cause
// ErrInvalidToken), and so does one that Check accepts without naming
// the User; one whose Bearer credentials are not a token (empty,
// or characters outside the b64token syntax) gets 400 with
// error="invalid_request" (cause ErrMalformedToken). A Check that could
// not be made (see BearerConfig.Check) is a 503 without a challenge
// (cause ErrCheckFailed). A request with more than one Authorization
// field is answered 400 without a challenge (cause
// ErrAuthorizationRepeated), as Basic answers it.
//
// With cfg.Optional, a request without an Authorization field of the
// Bearer scheme is passed on as it came, without a user, and marked so
// that Required's 401 carries this filter's challenge; everything else
// is answered as above.
//
// Goroutines: call Bearer at setup time; the filter is safe for concurrent
// use, and each call of its Filter method comes from the request's
// serialized task.
func Bearer(cfg BearerConfig) api.Filter {
	c := "Bearer " + realmParam(cfg.Realm)
	b := &bearer{
		challenge: c,
		invalid:   c + `, error="invalid_token"`,
		malformed: c + `, error="invalid_request"`,
		check:     cfg.Check,
	}
	if cfg.Optional {
		b.optional = &optional{challenge: c}
	}
	return b
}

func (b *bearer) Filter(w api.Response, r *api.Request, next api.Chain) error {
	authz, err := authorization(r)
	if err != nil {
		return err
	}
	scheme, token, _ := strings.Cut(authz, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		if b.optional != nil {
			return next.Next(w, b.optional.pass(r))
		}
		return unauthorized(w, b.challenge, ErrNoCredentials)
	}
	token = strings.TrimLeft(token, " ")
	if !isToken(token) {
		return challenge(w, b.malformed, http.StatusBadRequest, ErrMalformedToken)
	}
	if b.check == nil {
		return unauthorized(w, b.invalid, ErrInvalidToken)
	}
	u, err := b.check(r.Context(), token)
	if err != nil {
		var se *api.StatusError
		var ne net.Error
		switch {
		case errors.As(err, &se):
			if se.Code != http.StatusUnauthorized {
				return err
			}
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.As(err, &ne):
			// The checker failed, not the token: a client told
			// invalid_token drops it and asks its user to sign in
			// again, for every token while the outage lasts.
			cause := ErrCheckFailed
			if cerr := r.Context().Err(); cerr != nil {
				// The request's end, which the container tells from
				// a failure (a client that left is not logged).
				cause = fmt.Errorf("%w: %w", ErrCheckFailed, cerr)
			}
			return &api.StatusError{Code: http.StatusServiceUnavailable, Err: cause}
		}
		return unauthorized(w, b.invalid, ErrInvalidToken)
	}
	if u.Name == "" {
		// No one to attach: UserOf would report a user, and Required
		// pass a request that no one is accountable for, where Basic,
		// Login and the session's read-back all refuse a user without
		// a Name. A token no one holds is no valid token.
		return unauthorized(w, b.invalid, ErrInvalidToken)
	}
	return next.Next(w, WithUser(r, u))
}

// isToken reports whether s is a b64token (RFC 6750 §2.1):
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return false
		}
	}
	return true
}
