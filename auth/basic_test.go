package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/auth"
)

func TestBasic(t *testing.T) {
	users := auth.Users(map[string]string{"ana": "s3cret", "jürgen": "pässwort:mit:doppelpunkt"})
	withRoles := func(ctx context.Context, user, password string) (auth.User, bool) {
		if _, ok := users(ctx, user, password); ok {
			return auth.User{Roles: []string{"admin"}}, true // no Name: the filter fills it in
		}
		return auth.User{}, false
	}
	// anyone accepts every password and names no one, as a directory
	// that grants anonymous binds answers an empty user name; apiKey
	// takes the password alone, sent with an empty user name, and names
	// the key's owner.
	anyone := func(context.Context, string, string) (auth.User, bool) { return auth.User{}, true }
	apiKey := func(_ context.Context, user, password string) (auth.User, bool) {
		return auth.User{Name: "key-owner"}, user == "" && password == "k3y"
	}
	const challenge = `Basic realm="wharf", charset="UTF-8"`
	tests := []struct {
		name      string
		cfg       auth.BasicConfig
		authz     string // the Authorization field; "" for none
		also      string // a second Authorization field, if set
		wantUser  string // "" for a refusal
		status    int    // of a refusal; 0 means 401
		wantRoles int
		wantErr   error
		challenge string
	}{
		{name: "no credentials", cfg: auth.BasicConfig{Check: users}, wantErr: auth.ErrNoCredentials, challenge: challenge},
		{name: "other scheme", cfg: auth.BasicConfig{Check: users}, authz: "Bearer abc", wantErr: auth.ErrNoCredentials, challenge: challenge},
		{name: "right password", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("ana", "s3cret"), wantUser: "ana"},
		{name: "scheme without case", cfg: auth.BasicConfig{Check: users}, authz: "bAsIc " + base64.StdEncoding.EncodeToString([]byte("ana:s3cret")), wantUser: "ana"},
		{name: "UTF-8 and colons in the password", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("jürgen", "pässwort:mit:doppelpunkt"), wantUser: "jürgen"},
		{name: "wrong password", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("ana", "guess"), wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "password prefix", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("ana", "s3cre"), wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "another user's password", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("ana", "pässwort:mit:doppelpunkt"), wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "unknown user", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("eve", "s3cret"), wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "bad base64", cfg: auth.BasicConfig{Check: users}, authz: "Basic !!!", wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "no colon", cfg: auth.BasicConfig{Check: users}, authz: "Basic " + base64.StdEncoding.EncodeToString([]byte("ana")), wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "empty credentials", cfg: auth.BasicConfig{Check: users}, authz: "Basic ", wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "scheme alone", cfg: auth.BasicConfig{Check: users}, authz: "Basic", wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "empty user", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("", "s3cret"), wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "empty user accepted, no one named", cfg: auth.BasicConfig{Check: anyone}, authz: basicHeader("", ""), wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "empty user accepted, owner named", cfg: auth.BasicConfig{Check: apiKey}, authz: basicHeader("", "k3y"), wantUser: "key-owner"},
		{name: "user accepted by anyone", cfg: auth.BasicConfig{Check: anyone}, authz: basicHeader("bo", ""), wantUser: "bo"},
		{name: "nil Check refuses", authz: basicHeader("ana", "s3cret"), wantErr: auth.ErrBadCredentials, challenge: challenge},
		{name: "name filled in, roles kept", cfg: auth.BasicConfig{Check: withRoles}, authz: basicHeader("ana", "s3cret"), wantUser: "ana", wantRoles: 1},
		// The field has no list form (RFC 9110 §11.6.2): a second one,
		// which a proxy in front may read instead, is a 400 whatever
		// either says, and no challenge to send both again.
		{name: "two fields, the first right", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("ana", "s3cret"), also: basicHeader("eve", "guess"), status: 400, wantErr: auth.ErrAuthorizationRepeated},
		{name: "two fields, the last right", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("eve", "guess"), also: basicHeader("ana", "s3cret"), status: 400, wantErr: auth.ErrAuthorizationRepeated},
		{name: "two fields, the same", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("ana", "s3cret"), also: basicHeader("ana", "s3cret"), status: 400, wantErr: auth.ErrAuthorizationRepeated},
		{name: "two fields, another scheme second", cfg: auth.BasicConfig{Check: users}, authz: basicHeader("ana", "s3cret"), also: "Bearer abc", status: 400, wantErr: auth.ErrAuthorizationRepeated},
		{name: "realm", cfg: auth.BasicConfig{Realm: "Admin area"}, wantErr: auth.ErrNoCredentials, challenge: `Basic realm="Admin area", charset="UTF-8"`},
		{name: "realm quoted and escaped", cfg: auth.BasicConfig{Realm: `say "hi" \o/` + "\r\nX-Injected: 1"}, wantErr: auth.ErrNoCredentials,
			challenge: `Basic realm="say \"hi\" \\o/X-Injected: 1", charset="UTF-8"`},
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
			o := run(auth.Basic(tt.cfg), request(kv...))
			if tt.wantUser != "" {
				if o.err != nil || !o.ran || !o.hasUser || o.user.Name != tt.wantUser || len(o.user.Roles) != tt.wantRoles {
					t.Errorf("got err %v, ran %v, user %+v (%v); want user %q", o.err, o.ran, o.user, o.hasUser, tt.wantUser)
				}
				if c := o.challenge(); c != "" {
					t.Errorf("challenge %q on success", c)
				}
				return
			}
			if o.ran {
				t.Error("the handler ran")
			}
			status := tt.status
			if status == 0 {
				status = 401
			}
			if o.status() != status || !errors.Is(o.err, tt.wantErr) {
				t.Errorf("err %v (status %d), want %d with %v", o.err, o.status(), status, tt.wantErr)
			}
			if c := o.challenge(); c != tt.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", c, tt.challenge)
			}
			if o.err != nil && (strings.Contains(o.err.Error(), "guess") || strings.Contains(o.err.Error(), "s3cre")) {
				t.Errorf("the error shows the password: %v", o.err)
			}
		})
	}
}

// TestBasicContext: Check gets the request's context, so a lookup stops
// when the request does.
func TestBasicContext(t *testing.T) {
	type key struct{}
	var got any
	f := auth.Basic(auth.BasicConfig{Check: func(ctx context.Context, user, password string) (auth.User, bool) {
		got = ctx.Value(key{})
		return auth.User{}, true
	}})
	r := request("Authorization", basicHeader("a", "b"))
	r = r.WithContext(context.WithValue(r.Context(), key{}, "mine"))
	if o := run(f, r); !o.ran || got != "mine" {
		t.Errorf("ran %v, Check saw context value %v", o.ran, got)
	}
}
