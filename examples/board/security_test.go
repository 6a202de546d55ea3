package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A login never keeps a session ID the client brought: not one an
// attacker planted in the victim's browser (session fixation), and not
// the one of the user logged in before, which stops working.
func TestSessionRenewedAtLogin(t *testing.T) {
	b := startBoard(t)
	base, err := url.Parse(b.base)
	if err != nil {
		t.Fatal(err)
	}
	idOf := func(setCookie string) string {
		name, value, _ := strings.Cut(strings.SplitN(setCookie, ";", 2)[0], "=")
		if name == "" || value == "" {
			t.Fatalf("Set-Cookie %q: no session cookie", setCookie)
		}
		return value
	}
	meWith := func(cookie string) int {
		return send(t, newUser(t), "GET", b.base+"/api/me", http.Header{"Cookie": {cookie}}, nil).Status
	}

	// The attacker's own session, and an ID of the right form no store has.
	eve := newUser(t)
	eveCookie := strings.SplitN(login(t, eve, b.base, "eve"), ";", 2)[0]
	name, eveID, _ := strings.Cut(eveCookie, "=")
	for _, planted := range []string{eveID, strings.Repeat("A", len(eveID))} {
		victim := newUser(t)
		victim.Jar.SetCookies(base, []*http.Cookie{{Name: name, Value: planted}})
		if got := idOf(login(t, victim, b.base, "ann")); got == planted {
			t.Errorf("planted session ID %q kept at login", planted)
		}
		if got := send(t, victim, "GET", b.base+"/api/me", nil, nil); got.Body != `{"user":"ann"}`+"\n" {
			t.Errorf("victim's /api/me: %v", got)
		}
	}
	// The victim's login moved the session it found to a new ID: eve's
	// ID is no one's now, ann's least of all.
	if got := meWith(eveCookie); got != http.StatusUnauthorized {
		t.Errorf("eve's planted ID after ann's login: %d, want 401", got)
	}

	// Logging in again, as another user, ends the first login's ID.
	c := newUser(t)
	first := idOf(login(t, c, b.base, "ann"))
	if second := idOf(login(t, c, b.base, "bob")); second == first {
		t.Errorf("the second login kept the session ID %q", first)
	}
	if got := meWith(name + "=" + first); got != http.StatusUnauthorized {
		t.Errorf("ann's ID after bob's login on the same browser: %d, want 401", got)
	}
}
