package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/wharf-go/wharf/api"
)

// BasicConfig configures HTTP Basic authentication. The zero value
// challenges for realm "wharf" and accepts nobody.
type BasicConfig struct {
	// Realm names the protection space in the challenge; browsers show it
	// in their password dialog. Empty means DefaultRealm.
	Realm string

	// Check decides whether password is user's and returns who the
	// request is then; a User with an empty Name gets user as its Name.
	// It runs in the request's serialized task and may block (a database
	// lookup) unless the chain is declared non-blocking; ctx is the
	// request's. Compare secrets in constant time (Users does). Nil means
	// every request is refused. Credentials with an empty user name reach
	// Check too (some APIs send a key as the password alone), but a
	// request is never passed on with a User without a Name: if Check
	// accepts them and names no one, the request is refused.
	Check func(ctx context.Context, user, password string) (User, bool)

	// Optional, if true, passes a request that carries no Authorization
	// field of the Basic scheme (none at all, or one of another scheme,
	// such as Bearer) on without a user, rather than answering it 401:
	// a later filter may find one (SessionUser, FormLogin, an Optional
	// Bearer), the handler may serve anonymous requests too, and Required
	// decides where a user is needed, answering 401 with this filter's
	// challenge. Basic credentials that are malformed or that Check
	// refuses are answered 401 all the same, and a repeated Authorization
	// field 400: a client that sent wrong credentials is told so, not
	// served as anonymous. False means every request needs credentials.
	Optional bool
}

type basic struct {
	challenge string
	check     func(ctx context.Context, user, password string) (User, bool)
	optional  *optional // nil unless cfg.Optional
}

// Basic returns a filter that requires HTTP Basic credentials (RFC 7617)
// that cfg.Check accepts, and passes the request on with the User
// attached.
//
// A request without credentials, with a malformed Authorization field, or
// with credentials Check refuses (or accepts for an empty user name
// without naming the User) is answered 401 with
// `WWW-Authenticate: Basic realm="...", charset="UTF-8"` and nothing
// further runs. Malformed credentials get a 401 rather than a 400 because
// what fixes them is the same as for wrong ones: the browser asks the
// user again. The 401's cause is ErrNoCredentials when there was no
// Authorization field of the Basic scheme, ErrBadCredentials otherwise.
// A request with more than one Authorization field is answered 400
// without a challenge (cause ErrAuthorizationRepeated), whatever their
// schemes: the field has no list form, and which one counts is what a
// proxy in front and this filter could disagree on.
//
// With cfg.Optional, a request without an Authorization field of the
// Basic scheme is passed on as it came, without a user, and marked so
// that Required's 401 carries this filter's challenge
// (ExampleBasic_optional); everything else is answered as above.
//
// Goroutines: call Basic at setup time; the filter is safe for concurrent
// use, and each call of its Filter method comes from the request's
// serialized task.
func Basic(cfg BasicConfig) api.Filter {
	b := &basic{
		challenge: `Basic ` + realmParam(cfg.Realm) + `, charset="UTF-8"`,
		check:     cfg.Check,
	}
	if cfg.Optional {
		b.optional = &optional{challenge: b.challenge}
	}
	return b
}

func (b *basic) Filter(w api.Response, r *api.Request, next api.Chain) error {
	authz, err := authorization(r)
	if err != nil {
		return err
	}
	if scheme, _, _ := strings.Cut(authz, " "); !strings.EqualFold(scheme, "Basic") {
		if b.optional != nil {
			return next.Next(w, b.optional.pass(r))
		}
		return unauthorized(w, b.challenge, ErrNoCredentials)
	}
	// net/http's parser, so Wharf reads credentials as net/http does.
	hr := http.Request{Header: http.Header{"Authorization": {authz}}}
	user, password, ok := hr.BasicAuth()
	if !ok || b.check == nil {
		return unauthorized(w, b.challenge, ErrBadCredentials)
	}
	u, ok := b.check(r.Context(), user, password)
	if !ok {
		return unauthorized(w, b.challenge, ErrBadCredentials)
	}
	if u.Name == "" {
		u.Name = user
	}
	if u.Name == "" {
		// An empty user-id that Check accepted without naming anyone
		// (a directory that grants an anonymous bind, a check of the
		// password alone): no one to attach. Handlers and Required
		// would get a user without a Name, which Login refuses and the
		// session's read-back takes for none.
		return unauthorized(w, b.challenge, ErrBadCredentials)
	}
	return next.Next(w, WithUser(r, u))
}
