package auth

import (
	"net/http"
	"slices"
	"strings"

	"github.com/wharf-go/wharf/api"
)

// DefaultRealm is the realm of a challenge whose configuration names none.
const DefaultRealm = "wharf"

// quote returns s as an HTTP quoted-string (RFC 9110 §5.6.4): '"' and '\'
// escaped with a backslash, and control characters, which a quoted-string
// cannot hold and which would split the header field, dropped.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' && c != '\t' || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// realmParam returns `realm="..."` for realm, DefaultRealm if empty.
func realmParam(realm string) string {
	if realm == "" {
		realm = DefaultRealm
	}
	return "realm=" + quote(realm)
}

// challenge sets the WWW-Authenticate field and returns the error that
// answers with code, whose cause is cause.
func challenge(w api.Response, value string, code int, cause error) error {
	w.Header().Set("WWW-Authenticate", value)
	return &api.StatusError{Code: code, Err: cause}
}

// unauthorized is challenge with 401.
func unauthorized(w api.Response, value string, cause error) error {
	return challenge(w, value, http.StatusUnauthorized, cause)
}

// authorization returns r's Authorization field, "" for none, or the
// error that answers a request with more than one: a 400 without a
// challenge, which would have the client send its credentials again,
// into the same refusal, while the field it does not know of is added on
// the way (by a proxy, or by the request's author to the one it checks).
// It counts the fields in one pass over the header, where Values would
// allocate a slice on every request.
func authorization(r *api.Request) (string, error) {
	var authz string
	n := 0
	for k, v := range r.Header().All() {
		if len(k) == len("Authorization") && strings.EqualFold(k, "Authorization") {
			if n++; n > 1 {
				return "", &api.StatusError{Code: http.StatusBadRequest, Err: ErrAuthorizationRepeated}
			}
			authz = v
		}
	}
	return authz, nil
}

// optional is what an Optional filter leaves on a request it passes on
// without credentials of its scheme: the challenge it would have
// answered, for Required's 401 (optionalChallenges). Each filter has its
// own, allocated once, which is both the attribute's key and its value:
// two Optional filters on a path (Basic and Bearer) leave two attributes,
// and the one a forward runs twice, one.
type optional struct{ challenge string }

// pass returns r marked as passed on by o's filter.
func (o *optional) pass(r *api.Request) *api.Request { return r.WithAttribute(o, o) }

// optionalChallenges returns the challenges of the Optional filters that
// passed r on without credentials of their schemes, in the order they ran.
func optionalChallenges(r *api.Request) []string {
	var cs []string
	for k := range r.Attributes() {
		if o, ok := k.(*optional); ok {
			cs = append(cs, o.challenge)
		}
	}
	slices.Reverse(cs) // Attributes yields the newest first
	return cs
}
