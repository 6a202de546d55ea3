package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// TestLoginAfterCommit: Login's documentation says it fails when the
// response already committed (the cookie can no longer change), and that
// the user is then not stored. It must say so for a client that had no
// session yet, too: the user is not stored either way.
func TestLoginAfterCommit(t *testing.T) {
	var loginErr error
	var stored bool
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.WriteString("hello")
		w.Flush()
		loginErr = auth.Login(r, auth.User{Name: "ana"})
		stored = session.Of(r).ID() != ""
		return nil
	}), session.New(session.Config{}))
	rec := wharftest.NewRecorder()
	if err := h.Serve(rec, api.NewRequest(context.Background(), wharftest.Head("POST", "/api/login"), nil)); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(loginErr, session.ErrCookieFixed) {
		t.Errorf("Login after commit: %v (session stored: %v), want ErrCookieFixed", loginErr, stored)
	}
}

// Login refuses a User without a Name, which UserOf would read back as no
// user at all: a silent non-login otherwise, the session moved and the
// caller told it worked.
func TestLoginWithoutName(t *testing.T) {
	var loginErr error
	var id string
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		loginErr = auth.Login(r, auth.User{Roles: []string{"admin"}})
		id = session.Of(r).ID()
		return nil
	}), session.New(session.Config{}))
	if err := h.Serve(wharftest.NewRecorder(), api.NewRequest(context.Background(), wharftest.Head("POST", "/api/login"), nil)); err != nil {
		t.Fatal(err)
	}
	if loginErr == nil || id != "" {
		t.Errorf("Login of a user without a name: %v, session %q; want an error and no session", loginErr, id)
	}
}
