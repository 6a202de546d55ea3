package container

import (
	"net/http"
	"slices"
	"testing"
)

// uncacheCookie adds no-cache="Set-Cookie" after what the field says,
// unless the field already keeps the cookie out of shared caches, or
// there is no cookie.
func TestUncacheCookie(t *testing.T) {
	for _, tc := range []struct {
		have, want []string
	}{
		{nil, []string{`no-cache="Set-Cookie"`}},
		{[]string{""}, []string{`no-cache="Set-Cookie"`}},
		{[]string{"public, max-age=60"}, []string{`public, max-age=60, no-cache="Set-Cookie"`}},
		{[]string{"public", "max-age=60 "}, []string{"public", `max-age=60, no-cache="Set-Cookie"`}},
		{[]string{"no-store"}, []string{"no-store"}},
		{[]string{"max-age=0, No-Store"}, []string{"max-age=0, No-Store"}},
		{[]string{"private"}, []string{"private"}},
		{[]string{`private="Set-Cookie"`}, []string{`private="Set-Cookie"`}},
		{[]string{`no-cache="X-A, set-cookie"`}, []string{`no-cache="X-A, set-cookie"`}},
		{[]string{`no-cache=Set-Cookie`}, []string{`no-cache=Set-Cookie`}},
		// An unqualified no-cache is revalidated and served again whole.
		{[]string{"no-cache"}, []string{`no-cache, no-cache="Set-Cookie"`}},
		// A private naming another field, or a quoted comma, is not it.
		{[]string{`private="X-A"`}, []string{`private="X-A", no-cache="Set-Cookie"`}},
		{[]string{`ext="no-store, private", max-age=5`}, []string{`ext="no-store, private", max-age=5, no-cache="Set-Cookie"`}},
		{[]string{`ext="a\"b, private"`}, []string{`ext="a\"b, private", no-cache="Set-Cookie"`}},
	} {
		h := http.Header{"Set-Cookie": {"a=b"}}
		if tc.have != nil {
			h["Cache-Control"] = slices.Clone(tc.have)
		}
		shared := h["Cache-Control"]
		uncacheCookie(h)
		if got := h["Cache-Control"]; !slices.Equal(got, tc.want) {
			t.Errorf("%q: %q, want %q", tc.have, got, tc.want)
		}
		if !slices.Equal(shared, tc.have) {
			t.Errorf("%q: the handler's slice became %q", tc.have, shared)
		}
		uncacheCookie(h)
		if got := h["Cache-Control"]; !slices.Equal(got, tc.want) {
			t.Errorf("%q: twice: %q, want %q", tc.have, got, tc.want)
		}
	}
	for _, cookie := range [][]string{nil, {}} {
		h := http.Header{"Cache-Control": {"public"}}
		if cookie != nil {
			h["Set-Cookie"] = cookie
		}
		uncacheCookie(h)
		if got := h["Cache-Control"]; !slices.Equal(got, []string{"public"}) {
			t.Errorf("Set-Cookie %#v: Cache-Control %q, want it kept", cookie, got)
		}
	}
}
