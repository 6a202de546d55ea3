package api_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// cookieRequests returns the same Cookie fields as a Request over each kind
// of Header and as a net/http request.
func cookieRequests(lines []string) ([]*api.Request, *http.Request) {
	var fields []api.HeaderField
	for _, l := range lines {
		fields = append(fields, api.HeaderField{Key: "Cookie", Value: l})
	}
	mapped := http.Header{}
	if lines != nil {
		mapped["Cookie"] = slices.Clone(lines)
	}
	reqs := []*api.Request{
		api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/", Header: api.NewHeader(mapped)}, nil),
		api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/", Header: api.NewHeaderFields(fields)}, nil),
	}
	return reqs, &http.Request{Header: http.Header{"Cookie": slices.Clone(lines)}}
}

func sameCookies(a, b []*http.Cookie) bool {
	return slices.EqualFunc(a, b, func(x, y *http.Cookie) bool {
		return x.Name == y.Name && x.Value == y.Value && x.Quoted == y.Quoted
	})
}

// Differential: Cookies and Cookie see what net/http's do, for valid pairs,
// invalid pairs among valid ones, several fields and net/http's cap on the
// number of cookies.
func TestCookiesMatchNetHTTP(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  int // number of cookies, to keep the table honest
	}{
		{"none", nil, 0},
		{"empty field", []string{""}, 0},
		{"one pair", []string{"a=1"}, 1},
		{"pairs", []string{"a=1; b=2; c=3"}, 3},
		{"fields in order", []string{"a=1; b=2", "c=3", "a=4"}, 4},
		{"invalid name among valid", []string{"a=1; bad name=2; c=3"}, 2},
		{"invalid value among valid", []string{"a=1; b=\\x; c=3"}, 2},
		{"empty name", []string{"=x; b=1"}, 1},
		{"no equals sign", []string{"a; b=1"}, 2},
		{"empty pairs", []string{";a=1;;b=2;"}, 2},
		{"spaces around", []string{"  a = 1 ;b=2  "}, 2},
		{"quoted", []string{`a="q"; b="x y"`}, 2},
		{"unterminated quote", []string{`a="q; b=2`}, 1},
		{"comma in value", []string{"a=1,2; b=3"}, 2},
		{"non-ASCII", []string{"é=1; a=ü; b=2"}, 1},
		{"control byte", []string{"a=\x01; b=2"}, 1},
		{"same name twice", []string{"s=1; s=2"}, 2},
		{"only separators", []string{";;;", " "}, 0},
		{"many in one field", []string{strings.Repeat("a=1; ", 100) + "b=2"}, 101},
		{"over net/http's cap", []string{strings.Repeat("a=1;", 3000) + "b=2"}, 0},
		{"over the cap across fields", []string{strings.Repeat("a=1;", 1600), strings.Repeat("b=1;", 1600)}, 0},
	}
	names := []string{"a", "b", "c", "s", "é", "bad name", "", "missing"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs, hr := cookieRequests(tt.lines)
			want := hr.Cookies()
			if len(want) != tt.want {
				t.Fatalf("net/http finds %d cookies, the table says %d", len(want), tt.want)
			}
			for _, r := range reqs {
				if got := r.Cookies(); !sameCookies(got, want) || got == nil {
					t.Errorf("Cookies = %v, net/http %v", got, want)
				}
				for _, name := range names {
					got, err := r.Cookie(name)
					wc, werr := hr.Cookie(name)
					if err != werr || (err == nil && !sameCookies([]*http.Cookie{got}, []*http.Cookie{wc})) {
						t.Errorf("Cookie(%q) = %v, %v; net/http %v, %v", name, got, err, wc, werr)
					}
					if got, want := r.CookiesNamed(name), hr.CookiesNamed(name); !sameCookies(got, want) || got == nil {
						t.Errorf("CookiesNamed(%q) = %v, net/http %v", name, got, want)
					}
				}
			}
		})
	}
}

func TestCookieAbsent(t *testing.T) {
	reqs, _ := cookieRequests([]string{"a=1"})
	if _, err := reqs[0].Cookie("b"); !errors.Is(err, http.ErrNoCookie) {
		t.Fatalf("absent cookie: %v", err)
	}
}

// Cookies hands out new Cookies: changing one changes nothing later.
func TestCookiesAreCopies(t *testing.T) {
	reqs, _ := cookieRequests([]string{"a=1"})
	c, _ := reqs[0].Cookie("a")
	c.Value = "changed"
	reqs[0].Cookies()[0].Value = "changed"
	if c, _ := reqs[0].Cookie("a"); c.Value != "1" {
		t.Fatal("Cookie shares state between calls")
	}
}

func TestSetCookie(t *testing.T) {
	tests := []struct {
		name    string
		c       *http.Cookie
		commit  bool
		want    []string // Set-Cookie fields
		wantErr error
	}{
		{"plain", &http.Cookie{Name: "s", Value: "v"}, false, []string{"s=v"}, nil},
		{"attributes", &http.Cookie{Name: "s", Value: "v", Path: "/", MaxAge: 60, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
			false, []string{"s=v; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax"}, nil},
		{"expires", &http.Cookie{Name: "s", Value: "v", Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
			false, []string{"s=v; Expires=Wed, 02 Jan 2030 03:04:05 GMT"}, nil},
		{"invalid name", &http.Cookie{Name: "a b", Value: "v"}, false, nil, api.ErrInvalidCookie},
		{"empty name", &http.Cookie{Value: "v"}, false, nil, api.ErrInvalidCookie},
		{"invalid value", &http.Cookie{Name: "a", Value: "x\x00"}, false, nil, api.ErrInvalidCookie},
		{"invalid domain", &http.Cookie{Name: "a", Value: "v", Domain: "a b"}, false, nil, api.ErrInvalidCookie},
		{"nil", nil, false, nil, api.ErrInvalidCookie},
		{"committed", &http.Cookie{Name: "s", Value: "v"}, true, nil, api.ErrCommitted},
		{"invalid and committed", &http.Cookie{Name: "a b"}, true, nil, api.ErrInvalidCookie},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wharftest.NewRecorder()
			if tt.commit {
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			err := api.SetCookie(w, tt.c)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("SetCookie error %v, want %v", err, tt.wantErr)
			}
			if got := w.Header()["Set-Cookie"]; !slices.Equal(got, tt.want) {
				t.Fatalf("Set-Cookie = %q, want %q", got, tt.want)
			}
		})
	}
}

// SetCookie adds a field per cookie and keeps those already there.
func TestSetCookieAdds(t *testing.T) {
	w := wharftest.NewRecorder()
	w.Header().Add("Set-Cookie", "old=1")
	api.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
	api.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
	if got := w.Header()["Set-Cookie"]; !slices.Equal(got, []string{"old=1", "a=1", "b=2"}) {
		t.Fatalf("Set-Cookie = %q", got)
	}
}

// Cookies agrees with net/http's on whatever Cookie fields.
func FuzzCookies(f *testing.F) {
	f.Add("a=1; b=2", "c=3")
	f.Add(`a="q; b=\x`, ";;=x; c")
	f.Add(" a = 1 ", "é=ü")
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		reqs, hr := cookieRequests([]string{line1, line2})
		want := hr.Cookies()
		for _, r := range reqs {
			if got := r.Cookies(); !sameCookies(got, want) {
				t.Fatalf("Cookies of %q, %q = %v, net/http %v", line1, line2, got, want)
			}
		}
	})
}
