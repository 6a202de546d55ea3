package auth_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
)

// TestOptional: Basic and Bearer with Optional pass a request without
// credentials of their scheme on, without a user, and answer everything
// else as without Optional: credentials of their scheme that are wrong or
// malformed, and a repeated field.
func TestOptional(t *testing.T) {
	users := auth.Users(map[string]string{"ana": "s3cret"})
	basic := auth.Basic(auth.BasicConfig{Realm: "files", Check: users, Optional: true})
	bearer := auth.Bearer(auth.BearerConfig{Realm: "api", Check: tokens, Optional: true})
	const (
		basicChallenge = `Basic realm="files", charset="UTF-8"`
		invalidToken   = `Bearer realm="api", error="invalid_token"`
		malformedToken = `Bearer realm="api", error="invalid_request"`
	)
	tests := []struct {
		name      string
		filter    api.Filter
		authz     []string // the Authorization fields
		passed    bool     // the handler ran
		user      string   // the user it saw, "" for none
		status    int      // of a refusal
		wantErr   error
		challenge string
	}{
		{name: "Basic, no field", filter: basic, passed: true},
		{name: "Basic, another scheme", filter: basic, authz: []string{"Bearer good-token"}, passed: true},
		{name: "Basic, an unknown scheme", filter: basic, authz: []string{"Digest username=ana"}, passed: true},
		{name: "Basic, right password", filter: basic, authz: []string{basicHeader("ana", "s3cret")}, passed: true, user: "ana"},
		{name: "Basic, wrong password", filter: basic, authz: []string{basicHeader("ana", "guess")}, status: 401, wantErr: auth.ErrBadCredentials, challenge: basicChallenge},
		{name: "Basic, malformed", filter: basic, authz: []string{"Basic !!!"}, status: 401, wantErr: auth.ErrBadCredentials, challenge: basicChallenge},
		{name: "Basic, scheme alone", filter: basic, authz: []string{"Basic"}, status: 401, wantErr: auth.ErrBadCredentials, challenge: basicChallenge},
		{name: "Basic, scheme without case", filter: basic, authz: []string{"bASIC !!!"}, status: 401, wantErr: auth.ErrBadCredentials, challenge: basicChallenge},
		{name: "Basic, two fields", filter: basic, authz: []string{basicHeader("ana", "s3cret"), basicHeader("ana", "s3cret")}, status: 400, wantErr: auth.ErrAuthorizationRepeated},
		{name: "Basic, two fields of another scheme", filter: basic, authz: []string{"Bearer a", "Bearer b"}, status: 400, wantErr: auth.ErrAuthorizationRepeated},
		{name: "Bearer, no field", filter: bearer, passed: true},
		{name: "Bearer, another scheme", filter: bearer, authz: []string{basicHeader("ana", "s3cret")}, passed: true},
		{name: "Bearer, good token", filter: bearer, authz: []string{"Bearer good-token"}, passed: true, user: "ana"},
		{name: "Bearer, refused token", filter: bearer, authz: []string{"Bearer forged"}, status: 401, wantErr: auth.ErrInvalidToken, challenge: invalidToken},
		{name: "Bearer, malformed token", filter: bearer, authz: []string{"Bearer a b"}, status: 400, wantErr: auth.ErrMalformedToken, challenge: malformedToken},
		{name: "Bearer, scheme alone", filter: bearer, authz: []string{"Bearer"}, status: 400, wantErr: auth.ErrMalformedToken, challenge: malformedToken},
		{name: "Bearer, check failed", filter: bearer, authz: []string{"Bearer down"}, status: 503},
		{name: "Bearer, two fields", filter: bearer, authz: []string{"Bearer good-token", basicHeader("ana", "s3cret")}, status: 400, wantErr: auth.ErrAuthorizationRepeated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kv []string
			for _, a := range tt.authz {
				kv = append(kv, "Authorization", a)
			}
			o := run(tt.filter, request(kv...))
			if tt.passed {
				if o.err != nil || !o.ran || o.hasUser != (tt.user != "") || o.user.Name != tt.user {
					t.Errorf("err %v, ran %v, user %+v (%v); want it passed on with user %q", o.err, o.ran, o.user, o.hasUser, tt.user)
				}
				if c := o.challenge(); c != "" {
					t.Errorf("WWW-Authenticate %q on a request passed on", c)
				}
				return
			}
			if o.ran || o.status() != tt.status || tt.wantErr != nil && !errors.Is(o.err, tt.wantErr) {
				t.Errorf("ran %v, err %v (status %d); want %d with %v", o.ran, o.err, o.status(), tt.status, tt.wantErr)
			}
			if c := o.challenge(); c != tt.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", c, tt.challenge)
			}
		})
	}
}

// TestRequiredBehindOptional: one Required answers a browser loading a
// page with a redirect to the login page and any other request without a
// user with a 401, which carries the challenges of the Optional filters
// in front (but to a browser, when there is a login page).
func TestRequiredBehindOptional(t *testing.T) {
	users := auth.Users(map[string]string{"ana": "s3cret"})
	basic := auth.Basic(auth.BasicConfig{Realm: "files", Check: users, Optional: true})
	bearer := auth.Bearer(auth.BearerConfig{Realm: "api", Check: tokens, Optional: true})
	const (
		basicChallenge  = `Basic realm="files", charset="UTF-8"`
		bearerChallenge = `Bearer realm="api"`
		form            = `Form realm="wharf"`
	)
	login := auth.RequiredConfig{LoginURL: "/login"}
	tests := []struct {
		name       string
		filters    []api.Filter // in front of Required
		cfg        auth.RequiredConfig
		header     []string // name, value pairs
		status     int      // 200 when the handler ran
		location   string
		challenges []string
	}{
		{name: "Basic, no credentials", filters: []api.Filter{basic}, status: 401, challenges: []string{basicChallenge}},
		{name: "Bearer, no credentials", filters: []api.Filter{bearer}, status: 401, challenges: []string{bearerChallenge}},
		{name: "Basic and Bearer, in their order", filters: []api.Filter{basic, bearer}, status: 401, challenges: []string{basicChallenge, bearerChallenge}},
		{name: "Bearer and Basic, in their order", filters: []api.Filter{bearer, basic}, status: 401, challenges: []string{bearerChallenge, basicChallenge}},
		{name: "the same filter twice", filters: []api.Filter{basic, basic}, status: 401, challenges: []string{basicChallenge}},
		{name: "an unknown scheme", filters: []api.Filter{basic, bearer}, header: []string{"Authorization", "Digest username=ana"}, status: 401, challenges: []string{basicChallenge, bearerChallenge}},
		{name: "a user", filters: []api.Filter{basic}, header: []string{"Authorization", basicHeader("ana", "s3cret")}, status: 200},
		{name: "Challenge configured", filters: []api.Filter{basic}, cfg: auth.RequiredConfig{Challenge: `Custom realm="x"`}, status: 401, challenges: []string{`Custom realm="x"`}},
		{name: "no Optional filter", status: 401, challenges: []string{form}},

		// With a login page: browsers loading a page are redirected.
		{name: "navigation", filters: []api.Filter{basic}, cfg: login, header: []string{"Sec-Fetch-Mode", "navigate", "Accept", "text/html"}, status: 303, location: "/login"},
		{name: "navigation that takes JSON", filters: []api.Filter{basic}, cfg: login, header: []string{"Sec-Fetch-Mode", "navigate", "Accept", "application/json"}, status: 303, location: "/login"},
		{name: "navigation with credentials of an unknown scheme", filters: []api.Filter{basic}, cfg: login, header: []string{"Sec-Fetch-Mode", "navigate", "Authorization", "Digest username=ana"}, status: 303, location: "/login"},
		{name: "a script's fetch", filters: []api.Filter{basic}, cfg: login, header: []string{"Sec-Fetch-Mode", "cors", "Accept", "*/*"}, status: 401, challenges: []string{form}},
		{name: "an image", filters: []api.Filter{basic}, cfg: login, header: []string{"Sec-Fetch-Mode", "no-cors", "Accept", "image/*,*/*;q=0.8"}, status: 401, challenges: []string{form}},
		{name: "a script's fetch, Challenge configured", filters: []api.Filter{basic}, cfg: auth.RequiredConfig{LoginURL: "/login", Challenge: `Custom realm="x"`}, header: []string{"Sec-Fetch-Mode", "cors"}, status: 401, challenges: []string{`Custom realm="x"`}},
		{name: "a browser without Optional filters", cfg: login, header: []string{"Sec-Fetch-Mode", "same-origin"}, status: 401, challenges: []string{form}},
		// Without Sec-Fetch-Mode: an older browser, or no browser.
		{name: "no header at all", filters: []api.Filter{basic}, cfg: login, status: 303, location: "/login"},
		{name: "an older browser", filters: []api.Filter{basic}, cfg: login, header: []string{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, status: 303, location: "/login"},
		{name: "any type", filters: []api.Filter{basic}, cfg: login, header: []string{"Accept", "*/*"}, status: 303, location: "/login"},
		{name: "text of any kind", filters: []api.Filter{basic}, cfg: login, header: []string{"Accept", "TEXT/*"}, status: 303, location: "/login"},
		{name: "JSON", filters: []api.Filter{basic}, cfg: login, header: []string{"Accept", "application/json"}, status: 401, challenges: []string{basicChallenge}},
		{name: "JSON, two fields", filters: []api.Filter{basic}, cfg: login, header: []string{"Accept", "application/json", "Accept", "application/problem+json"}, status: 401, challenges: []string{basicChallenge}},
		{name: "HTML refused", filters: []api.Filter{basic}, cfg: login, header: []string{"Accept", "application/json, */*, text/html;q=0"}, status: 401, challenges: []string{basicChallenge}},
		{name: "HTML refused, q with decimals", filters: []api.Filter{basic}, cfg: login, header: []string{"Accept", "text/html ; q=0.000, application/json"}, status: 401, challenges: []string{basicChallenge}},
		{name: "HTML admitted over a refused wildcard", filters: []api.Filter{basic}, cfg: login, header: []string{"Accept", "*/*;q=0, text/html"}, status: 303, location: "/login"},
		{name: "credentials of an unknown scheme", filters: []api.Filter{basic, bearer}, cfg: login, header: []string{"Authorization", "Digest username=ana", "Accept", "*/*"}, status: 401, challenges: []string{basicChallenge, bearerChallenge}},
		{name: "a WebSocket handshake", filters: []api.Filter{basic}, cfg: login, header: []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13"}, status: 401, challenges: []string{basicChallenge}},
		{name: "a WebSocket handshake that takes anything", filters: []api.Filter{basic}, cfg: login, header: []string{"Connection", "Upgrade", "Upgrade", "websocket", "Accept", "*/*"}, status: 401, challenges: []string{basicChallenge}},
		{name: "JSON, no Optional filter", cfg: login, header: []string{"Accept", "application/json"}, status: 401, challenges: []string{form}},
		{name: "roles and a user without them", filters: []api.Filter{basic}, cfg: auth.RequiredConfig{LoginURL: "/login", Roles: []string{"admin"}}, header: []string{"Authorization", basicHeader("ana", "s3cret")}, status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := append(slices.Clone(tt.filters), auth.Required(tt.cfg))
			o := run(compose(chain...), request(tt.header...))
			if o.ran != (tt.status == 200) || o.status() != tt.status {
				t.Errorf("ran %v, status %d (err %v); want %d", o.ran, o.status(), o.err, tt.status)
			}
			if tt.status == 401 && !errors.Is(o.err, auth.ErrNoCredentials) {
				t.Errorf("err %v, want %v", o.err, auth.ErrNoCredentials)
			}
			if l := o.rec.Header().Get("Location"); l != tt.location {
				t.Errorf("Location %q, want %q", l, tt.location)
			}
			if cs := o.rec.Header().Values("WWW-Authenticate"); !slices.Equal(cs, tt.challenges) {
				t.Errorf("WWW-Authenticate %q, want %q", cs, tt.challenges)
			}
		})
	}
}

// compose makes one filter of fs, the first outermost.
func compose(fs ...api.Filter) api.Filter {
	return api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		return api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			return next.Next(w, r)
		}), fs...).Serve(w, r)
	})
}
