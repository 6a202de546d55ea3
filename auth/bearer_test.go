package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// tokens is a Check for tests: "good-token" is ana's, "down" reports a
// token store that is unavailable.
func tokens(_ context.Context, token string) (auth.User, error) {
	switch token {
	case "good-token", "dGVzdA==":
		return auth.User{Name: "ana", Roles: []string{"reader"}}, nil
	case "down":
		return auth.User{}, &api.StatusError{Code: http.StatusServiceUnavailable, Err: errors.New("token store unavailable")}
	case "nameless":
		// A Check that validates the token and names no one (a
		// verifier whose subject claim is missing).
		return auth.User{Roles: []string{"reader"}}, nil
	case "explicit-401":
		return auth.User{}, api.Error(http.StatusUnauthorized, "token secret-detail expired")
	}
	return auth.User{}, errors.New("unknown token secret-detail")
}

func TestBearer(t *testing.T) {
	const (
		plain     = `Bearer realm="wharf"`
		invalid   = `Bearer realm="wharf", error="invalid_token"`
		malformed = `Bearer realm="wharf", error="invalid_request"`
	)
	tests := []struct {
		name      string
		cfg       auth.BearerConfig
		authz     string
		also      string // a second Authorization field, if set
		wantUser  string
		status    int
		wantErr   error
		challenge string
	}{
		{name: "no credentials", cfg: auth.BearerConfig{Check: tokens}, status: 401, wantErr: auth.ErrNoCredentials, challenge: plain},
		{name: "Basic credentials", cfg: auth.BearerConfig{Check: tokens}, authz: basicHeader("ana", "x"), status: 401, wantErr: auth.ErrNoCredentials, challenge: plain},
		{name: "good token", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer good-token", wantUser: "ana"},
		{name: "scheme without case", cfg: auth.BearerConfig{Check: tokens}, authz: "bearer good-token", wantUser: "ana"},
		{name: "padding allowed", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer dGVzdA==", wantUser: "ana"},
		{name: "refused token", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer forged", status: 401, wantErr: auth.ErrInvalidToken, challenge: invalid},
		{name: "Check's own 401", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer explicit-401", status: 401, wantErr: auth.ErrInvalidToken, challenge: invalid},
		{name: "valid token, nobody named", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer nameless", status: 401, wantErr: auth.ErrInvalidToken, challenge: invalid},
		{name: "Check's 503 kept", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer down", status: 503},
		{name: "empty token", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer ", status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "scheme alone", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer", status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "space inside token", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer good token", status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "padding only", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer ==", status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "padding in the middle", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer a=b", status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "quote in token", cfg: auth.BearerConfig{Check: tokens}, authz: `Bearer a"b`, status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "nil Check refuses", authz: "Bearer good-token", status: 401, wantErr: auth.ErrInvalidToken, challenge: invalid},
		// One field only (RFC 9110 §11.6.2), whatever the two say: 400,
		// without a challenge.
		{name: "two fields, the first good", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer good-token", also: "Bearer forged", status: 400, wantErr: auth.ErrAuthorizationRepeated},
		{name: "two fields, the last good", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer forged", also: "Bearer good-token", status: 400, wantErr: auth.ErrAuthorizationRepeated},
		{name: "two fields, the same", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer good-token", also: "Bearer good-token", status: 400, wantErr: auth.ErrAuthorizationRepeated},
		{name: "two fields, Basic first", cfg: auth.BearerConfig{Check: tokens}, authz: basicHeader("ana", "x"), also: "Bearer good-token", status: 400, wantErr: auth.ErrAuthorizationRepeated},
		{name: "realm", cfg: auth.BearerConfig{Realm: `api "v2"`}, status: 401, wantErr: auth.ErrNoCredentials, challenge: `Bearer realm="api \"v2\""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kv []string
			if tt.authz != "" {
				kv = []string{"Authorization", tt.authz}
			}
			if tt.also != "" {
				kv = append(kv, "Authorization", tt.also)
			}
			o := run(auth.Bearer(tt.cfg), request(kv...))
			if tt.wantUser != "" {
				if o.err != nil || !o.hasUser || o.user.Name != tt.wantUser || !o.user.HasRole("reader") {
					t.Errorf("got err %v, user %+v (%v); want %q", o.err, o.user, o.hasUser, tt.wantUser)
				}
				return
			}
			if o.ran {
				t.Error("the handler ran")
			}
			if o.status() != tt.status || tt.wantErr != nil && !errors.Is(o.err, tt.wantErr) {
				t.Errorf("err %v (status %d), want %d with %v", o.err, o.status(), tt.status, tt.wantErr)
			}
			if c := o.challenge(); c != tt.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", c, tt.challenge)
			}
			if tt.status == 401 && o.err != nil && strings.Contains(o.err.Error(), "secret-detail") {
				t.Errorf("Check's error text reaches the client: %v", o.err)
			}
		})
	}
}

// A Check that could not be made (a timeout, a token store out of reach)
// says nothing of the token: a 503 without error="invalid_token", which
// would make an OAuth client drop a token that may be valid, and without
// Check's text, which may describe the token.
func TestBearerCheckFailed(t *testing.T) {
	unreachable := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused secret-detail")}
	tests := []struct {
		name     string
		checkErr error
		cancel   bool // the request's context ended
		status   int
		wantErr  error
	}{
		{"deadline", fmt.Errorf("introspect secret-detail: %w", context.DeadlineExceeded), false, 503, auth.ErrCheckFailed},
		{"store unreachable", fmt.Errorf("introspect secret-detail: %w", unreachable), false, 503, auth.ErrCheckFailed},
		{"request ended", fmt.Errorf("introspect secret-detail: %w", context.Canceled), true, 503, context.Canceled},
		{"refused", errors.New("expired secret-detail"), false, 401, auth.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := auth.Bearer(auth.BearerConfig{Check: func(context.Context, string) (auth.User, error) {
				return auth.User{}, tt.checkErr
			}})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			o := run(f, api.NewRequest(ctx, wharftest.Head("GET", "/", "Authorization", "Bearer t0ken"), nil))
			if o.ran || o.status() != tt.status || !errors.Is(o.err, tt.wantErr) {
				t.Fatalf("ran %v, err %v (status %d); want %d with %v", o.ran, o.err, o.status(), tt.status, tt.wantErr)
			}
			if strings.Contains(o.err.Error(), "secret-detail") {
				t.Errorf("Check's error text in the answer: %v", o.err)
			}
			if c := o.challenge(); tt.status == 503 && c != "" {
				t.Errorf("WWW-Authenticate %q on a failed check", c)
			}
		})
	}
}
