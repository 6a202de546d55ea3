package auth_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// whoami answers the user's name and roles, or "nobody".
func whoami(w api.Response, r *api.Request) error {
	u, ok := auth.UserOf(r)
	if !ok {
		_, err := w.WriteString("nobody")
		return err
	}
	_, err := w.WriteString(u.Name + " " + strings.Join(u.Roles, ","))
	return err
}

// TestEndToEndHeaders: Basic, Bearer and Required on every protocol: the
// user reaches the handler, and each refusal carries its status and
// challenge over the wire.
func TestEndToEndHeaders(t *testing.T) {
	users := auth.Users(map[string]string{"ana": "s3cret", "bo": "hunter2"})
	build := func(c *container.Container) {
		c.Filter("/basic/*", auth.Basic(auth.BasicConfig{Realm: "Basic area", Check: users}))
		c.Filter("/api/*", auth.Bearer(auth.BearerConfig{Realm: "api", Check: tokens}))
		c.Filter("/admin/*", auth.Basic(auth.BasicConfig{Realm: "admin", Check: func(ctx context.Context, user, password string) (auth.User, bool) {
			u, ok := users(ctx, user, password)
			if u.Name == "ana" {
				u.Roles = []string{"admin"}
			}
			return u, ok
		}}))
		c.Filter("/admin/*", auth.Required(auth.RequiredConfig{Roles: []string{"admin"}}))
		// A directory that grants an anonymous bind accepts an empty
		// user name with any password, and names no one.
		c.Filter("/directory/*", auth.Basic(auth.BasicConfig{Realm: "directory", Check: func(context.Context, string, string) (auth.User, bool) {
			return auth.User{}, true
		}}))
		c.Filter("/directory/*", auth.Required(auth.RequiredConfig{}))
		c.HandleFunc("/directory/me", whoami)
		c.HandleFunc("/basic/me", whoami)
		c.HandleFunc("/api/me", whoami)
		c.HandleFunc("/admin/me", whoami)
		c.HandleFunc("/open", whoami)
	}
	tests := []struct {
		path, authz string
		also        string // a second Authorization field, if set
		status      int
		challenge   string
		body        string // a prefix of the body
	}{
		{"/open", "", "", 200, "", "nobody"},
		{"/basic/me", "", "", 401, `Basic realm="Basic area", charset="UTF-8"`, "401 Unauthorized: auth: credentials required"},
		{"/basic/me", basicHeader("ana", "wrong"), "", 401, `Basic realm="Basic area", charset="UTF-8"`, "401 Unauthorized: auth: invalid credentials"},
		{"/basic/me", basicHeader("ana", "s3cret"), "", 200, "", "ana "},
		{"/api/me", "", "", 401, `Bearer realm="api"`, "401"},
		{"/api/me", "Bearer forged", "", 401, `Bearer realm="api", error="invalid_token"`, "401 Unauthorized: auth: invalid token"},
		{"/api/me", "Bearer not~a token", "", 400, `Bearer realm="api", error="invalid_request"`, "400"},
		{"/api/me", "Bearer good-token", "", 200, "", "ana reader"},
		{"/api/me", "Bearer down", "", 503, "", "503"},
		{"/admin/me", basicHeader("ana", "s3cret"), "", 200, "", "ana admin"},
		{"/admin/me", basicHeader("bo", "hunter2"), "", 403, "", "403 Forbidden: auth: forbidden"},
		{"/admin/me", "", "", 401, `Basic realm="admin", charset="UTF-8"`, "401"},
		{"/basic/me", basicHeader("", "s3cret"), "", 401, `Basic realm="Basic area", charset="UTF-8"`, "401 Unauthorized: auth: invalid credentials"},
		{"/basic/me", "Basic " + base64.StdEncoding.EncodeToString([]byte("ana")), "", 401, `Basic realm="Basic area", charset="UTF-8"`, "401 Unauthorized: auth: invalid credentials"},
		{"/basic/me", "Basic ana:s3cret", "", 401, `Basic realm="Basic area", charset="UTF-8"`, "401 Unauthorized: auth: invalid credentials"},
		{"/directory/me", basicHeader("", ""), "", 401, `Basic realm="directory", charset="UTF-8"`, "401 Unauthorized: auth: invalid credentials"},
		{"/directory/me", basicHeader("bo", ""), "", 200, "", "bo "},
		{"/api/me", "Bearer good-token trailing", "", 400, `Bearer realm="api", error="invalid_request"`, "400"},
		// Two Authorization fields (RFC 9110 §11.6.2 gives it no list
		// form): 400 without a challenge, on every protocol.
		{"/basic/me", basicHeader("ana", "s3cret"), basicHeader("bo", "wrong"), 400, "", "400 Bad Request: auth: the Authorization field appears more than once"},
		{"/basic/me", basicHeader("bo", "wrong"), basicHeader("ana", "s3cret"), 400, "", "400 Bad Request: auth: the Authorization field appears more than once"},
		{"/api/me", "Bearer good-token", "Bearer forged", 400, "", "400 Bad Request: auth: the Authorization field appears more than once"},
		{"/admin/me", basicHeader("bo", "hunter2"), basicHeader("ana", "s3cret"), 400, "", "400"},
	}
	quiet := container.WithLogger(slog.New(slog.DiscardHandler)) // the 503 is logged
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			req, _ := http.NewRequest("GET", s.URL+tt.path, nil)
			if tt.authz != "" {
				req.Header.Set("Authorization", tt.authz)
			}
			if tt.also != "" {
				req.Header.Add("Authorization", tt.also)
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.HasPrefix(string(body), tt.body) {
				t.Errorf("%s %q %q: %d %q, want %d %q", tt.path, tt.authz, tt.also, resp.StatusCode, body, tt.status, tt.body)
			}
			if c := resp.Header.Get("WWW-Authenticate"); c != tt.challenge {
				t.Errorf("%s %q: WWW-Authenticate %q, want %q", tt.path, tt.authz, c, tt.challenge)
			}
			if strings.Contains(string(body), "wrong") || strings.Contains(string(body), "s3cret") {
				t.Errorf("%s: the answer shows a password: %q", tt.path, body)
			}
		}
	}, quiet)
}
