package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
)

// tokens is a Check for tests: "good-token" is ana's, "down" reports a
// token store that is unavailable.
func tokens(_ context.Context, token string) (auth.User, error) {
	switch token {
	case "good-token", "dGVzdA==":
		return auth.User{Name: "ana", Roles: []string{"reader"}}, nil
	case "down":
		return auth.User{}, &api.StatusError{Code: http.StatusServiceUnavailable, Err: errors.New("token store unavailable")}
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
		{name: "Check's 503 kept", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer down", status: 503},
		{name: "empty token", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer ", status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "scheme alone", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer", status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "space inside token", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer good token", status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "padding only", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer ==", status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "padding in the middle", cfg: auth.BearerConfig{Check: tokens}, authz: "Bearer a=b", status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "quote in token", cfg: auth.BearerConfig{Check: tokens}, authz: `Bearer a"b`, status: 400, wantErr: auth.ErrMalformedToken, challenge: malformed},
		{name: "nil Check refuses", authz: "Bearer good-token", status: 401, wantErr: auth.ErrInvalidToken, challenge: invalid},
		{name: "realm", cfg: auth.BearerConfig{Realm: `api "v2"`}, status: 401, wantErr: auth.ErrNoCredentials, challenge: `Bearer realm="api \"v2\""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kv []string
			if tt.authz != "" {
				kv = []string{"Authorization", tt.authz}
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
			if tt.status == 401 && strings.Contains(o.err.Error(), "secret-detail") {
				t.Errorf("Check's error text reaches the client: %v", o.err)
			}
		})
	}
}
