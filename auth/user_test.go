package auth_test

import (
	"slices"
	"testing"

	"github.com/wharf-go/wharf/auth"
)

func TestUserOf(t *testing.T) {
	r := request()
	if u, ok := auth.UserOf(r); ok {
		t.Fatalf("a fresh request has user %+v", u)
	}
	roles := []string{"admin", "dev"}
	r2 := auth.WithUser(r, auth.User{Name: "ana", Roles: roles})
	roles[0] = "intruder" // the caller's slice is not the request's
	u, ok := auth.UserOf(r2)
	if !ok || u.Name != "ana" || !slices.Equal(u.Roles, []string{"admin", "dev"}) {
		t.Errorf("UserOf = %+v, %v", u, ok)
	}
	if !u.HasRole("dev") || u.HasRole("intruder") || u.HasRole("") {
		t.Errorf("HasRole wrong for %+v", u)
	}
	if _, ok := auth.UserOf(r); ok {
		t.Error("WithUser changed the request it was given")
	}
	if u := appendRole(u); len(u.Roles) != 3 {
		t.Fatal(u)
	}
	if u, _ := auth.UserOf(r2); len(u.Roles) != 2 || u.Roles[1] != "dev" {
		t.Errorf("appending to a returned User's Roles changed the request's: %+v", u)
	}
	// A second WithUser replaces the first.
	r3 := auth.WithUser(r2, auth.User{Name: "bo"})
	if u, _ := auth.UserOf(r3); u.Name != "bo" || u.Roles != nil {
		t.Errorf("after a second WithUser: %+v", u)
	}
}

func appendRole(u auth.User) auth.User {
	u.Roles = append(u.Roles, "extra")
	return u
}
