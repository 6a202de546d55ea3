package auth_test

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/auth"
)

func TestRequired(t *testing.T) {
	ana := &auth.User{Name: "ana", Roles: []string{"dev", "ops"}}
	tests := []struct {
		name      string
		cfg       auth.RequiredConfig
		user      *auth.User
		status    int // of the answer; 200 when the handler ran
		wantErr   error
		challenge string
		location  string
	}{
		{name: "user", user: ana, status: 200},
		{name: "no user", status: 401, wantErr: auth.ErrNoCredentials, challenge: `Form realm="wharf"`},
		{name: "no user, own challenge", cfg: auth.RequiredConfig{Challenge: `Bearer realm="api"`}, status: 401, wantErr: auth.ErrNoCredentials, challenge: `Bearer realm="api"`},
		{name: "no user, login page", cfg: auth.RequiredConfig{LoginURL: "/login"}, status: 303, location: "/login"},
		{name: "role held", cfg: auth.RequiredConfig{Roles: []string{"admin", "ops"}}, user: ana, status: 200},
		{name: "role missing", cfg: auth.RequiredConfig{Roles: []string{"admin"}}, user: ana, status: 403, wantErr: auth.ErrForbidden},
		{name: "role missing, no roles at all", cfg: auth.RequiredConfig{Roles: []string{"admin"}}, user: &auth.User{Name: "bo"}, status: 403, wantErr: auth.ErrForbidden},
		{name: "roles and no user", cfg: auth.RequiredConfig{Roles: []string{"admin"}, LoginURL: "/login"}, status: 303, location: "/login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request()
			if tt.user != nil {
				r = auth.WithUser(r, *tt.user)
			}
			o := run(auth.Required(tt.cfg), r)
			if o.ran != (tt.status == 200) || o.status() != tt.status {
				t.Errorf("ran %v, status %d (err %v); want %d", o.ran, o.status(), o.err, tt.status)
			}
			if o.ran && o.user.Name != tt.user.Name {
				t.Errorf("handler saw %+v", o.user)
			}
			if tt.wantErr != nil && !errors.Is(o.err, tt.wantErr) {
				t.Errorf("err %v, want %v", o.err, tt.wantErr)
			}
			if c := o.challenge(); c != tt.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", c, tt.challenge)
			}
			if l := o.rec.Header().Get("Location"); l != tt.location {
				t.Errorf("Location %q, want %q", l, tt.location)
			}
			if tt.location != "" {
				// As http.Redirect answers a GET: the link, for a client
				// that does not follow it.
				want := `<a href="` + tt.location + `">See Other</a>.` + "\n\n"
				if ct, b := o.rec.Header().Get("Content-Type"), o.rec.Body(); ct != "text/html; charset=utf-8" || b != want {
					t.Errorf("redirect's page: Content-Type %q, body %q; want text/html; charset=utf-8, %q", ct, b, want)
				}
			}
		})
	}
}
