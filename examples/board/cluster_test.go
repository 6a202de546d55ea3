package main

import (
	"net"
	"net/http"
	"regexp"
	"testing"
)

// freeAddr returns a 127.0.0.1 address nobody listens on now, for the
// embedded broker, whose address the second instance must be told.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// me answers GET /api/me on base with cookie, as status and body.
func me(t *testing.T, base string, cookie *http.Cookie) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/api/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(cookie)
	resp, err := newUser(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, readAll(t, resp.Body)
}

// loginCookie logs user in on base and returns the session cookie.
func loginCookie(t *testing.T, base, user string) *http.Cookie {
	t.Helper()
	resp, err := newUser(t).PostForm(base+"/login", map[string][]string{"user": {user}, "password": {"board"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %s, cookies %v", resp.Status, resp.Cookies())
	}
	return resp.Cookies()[0]
}

// Two instances sharing a broker, the README's two command lines: the
// first runs it with JetStream inside itself, the second joins through
// its URL. A session made on either is valid on both, and a logout on
// either ends it on both; posts stay where they were made.
func TestSessionsAcrossInstances(t *testing.T) {
	broker := freeAddr(t)
	a := startBoard(t, "-nats-embed", broker)
	b := startBoard(t, "-nats", "nats://"+broker)

	for _, tc := range []struct {
		name     string
		loginOn  *instance
		logoutOn *instance
	}{
		{name: "login on the first, logout on the second", loginOn: &a, logoutOn: &b},
		{name: "login on the second, logout on the first", loginOn: &b, logoutOn: &a},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ck := loginCookie(t, tc.loginOn.base, "ann")
			for _, in := range []instance{a, b} {
				if status, body := me(t, in.base, ck); status != 200 || body != `{"user":"ann"}` {
					t.Fatalf("%s/api/me with the session: %d %s", in.base, status, body)
				}
			}
			req, err := http.NewRequest("POST", tc.logoutOn.base+"/logout", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.AddCookie(ck)
			resp, err := newUser(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout: %s", resp.Status)
			}
			for _, in := range []instance{a, b} {
				if status, body := me(t, in.base, ck); status != 401 {
					t.Errorf("%s/api/me after the logout: %d %s, want 401", in.base, status, body)
				}
			}
		})
	}

	// Posts are each process's own.
	c := newUser(t)
	login(t, c, a.base, "ann")
	if got := send(t, c, "POST", a.base+"/api/posts", http.Header{"Content-Type": {"application/json"}}, []byte(`{"text":"on a"}`)); got.Status != 201 {
		t.Fatalf("post on a: %v", got)
	}
	// (The id is the event stream's sequence, which starts at the time
	// the stream was made.)
	for base, want := range map[string]*regexp.Regexp{
		a.base: regexp.MustCompile(`^\[\{"id":[1-9][0-9]*,"user":"ann","text":"on a","attachments":\[\]\}\]\n$`),
		b.base: regexp.MustCompile(`^\[\]\n$`),
	} {
		if got := send(t, c, "GET", base+"/api/posts", nil, nil); got.Status != 200 || !want.MatchString(got.Body) {
			t.Errorf("%s/api/posts: %v, want %s", base, got, want)
		}
	}
}

// Without a broker each instance keeps its own sessions: the same cookie
// means nothing to the other. (So the test above would fail if the
// sessions were not in NATS.)
func TestSessionsPerInstanceWithoutNATS(t *testing.T) {
	a, b := startBoard(t), startBoard(t)
	ck := loginCookie(t, a.base, "ann")
	if status, _ := me(t, a.base, ck); status != 200 {
		t.Fatalf("on the instance that made it: %d", status)
	}
	if status, body := me(t, b.base, ck); status != 401 {
		t.Errorf("on the other: %d %s, want 401", status, body)
	}
}
