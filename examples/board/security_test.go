package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
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

// An attached file is the user's content served from the board's origin:
// whatever its name and bytes (a page, an SVG, a script, or HTML under
// no extension, whose type is sniffed), a browser that follows its link
// saves it rather than render it there, no type is guessed, and a
// browser that renders it all the same runs no script of it.
func TestAttachmentsNotRendered(t *testing.T) {
	b := startBoard(t)
	ann := newUser(t)
	login(t, ann, b.base, "ann")
	const page = "<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
	for _, tc := range []struct{ name, content, contentType string }{
		{"page.html", page, "text/html; charset=utf-8"},
		{"image.svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "image/svg+xml"},
		{"page.xhtml", page, "application/xhtml+xml"},
		{"script.js", "alert(1)", "text/javascript; charset=utf-8"},
		{"noextension", page, "text/html; charset=utf-8"},
		{"hello.txt", "hello", "text/plain; charset=utf-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := post(t, ann, b.base, tc.name)
			body, ct := multipartFile(t, "file", tc.name, []byte(tc.content))
			a := send(t, ann, "POST", b.base+"/api/posts/"+strconv.FormatInt(id, 10)+"/attachments", http.Header{"Content-Type": {ct}}, body)
			var att Attachment
			if err := json.Unmarshal([]byte(a.Body), &att); a.Status != http.StatusCreated || err != nil {
				t.Fatalf("upload: %v (%v)", a, err)
			}
			got := send(t, newUser(t), "GET", b.base+att.URL, nil, nil)
			if got.Status != http.StatusOK || got.Body != tc.content {
				t.Fatalf("GET %s: %v", att.URL, got)
			}
			for k, want := range map[string]string{
				"Content-Type":            tc.contentType,
				"Content-Disposition":     "attachment",
				"X-Content-Type-Options":  "nosniff",
				"Content-Security-Policy": "sandbox",
			} {
				if v := got.Header.Get(k); v != want {
					t.Errorf("%s: %q, want %q", k, v, want)
				}
			}
		})
	}
}
