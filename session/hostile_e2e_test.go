package session_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// TestEndToEndHostileCookies: over every protocol, a session cookie an
// attacker wrote is never adopted. A value not of newID's form (garbage,
// over-long, another alphabet, another case) reaches no store; an ID of
// the right form that the store does not know costs one load; either way
// the request reads an empty session, and a write gives it a fresh ID.
// A logout then deletes the session from the store, not only the cookie.
func TestEndToEndHostileCookies(t *testing.T) {
	mem := session.NewMemoryStore(session.MemoryConfig{})
	defer mem.Close()
	store := &loadCountingStore{Store: mem}
	a := &app{}
	tests := []struct {
		name, value string
		loads       int32
	}{
		{"garbage", "not an ID", 0},
		{"over-long", strings.Repeat("A", 4000), 0},
		{"one character too many", strings.Repeat("A", 27), 0},
		{"lower case", strings.Repeat("a", 26), 0},
		{"outside base32", strings.Repeat("1", 26), 0},
		{"quoted", `"` + strings.Repeat("A", 24) + `"`, 0},
		{"planted, of the right form", strings.Repeat("B", 26), 1},
	}
	modes.Run(t, a.build(session.New(session.Config{Store: store})), func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			store.loads.Store(0)
			req, _ := http.NewRequest("GET", s.URL+"/get/user", nil)
			req.Header.Set("Cookie", "wharf_session="+tt.value)
			body, resp := wharftest.Do(t, s.Client, req)
			if resp.StatusCode != 200 || body != "-" {
				t.Errorf("%s: %d %q, want 200 and no value", tt.name, resp.StatusCode, body)
			}
			if n := store.loads.Load(); n != tt.loads {
				t.Errorf("%s: %d store loads, want %d", tt.name, n, tt.loads)
			}
			req, _ = http.NewRequest("POST", s.URL+"/set", strings.NewReader(url.Values{"k": {"user"}, "v": {"eve"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Cookie", "wharf_session="+tt.value)
			_, resp = wharftest.Do(t, s.Client, req)
			if c := sessionCookie(resp); c == nil || c.Value == tt.value || len(c.Value) != 26 {
				t.Errorf("%s: a write set cookie %v, want a fresh ID", tt.name, c)
			}
		}
		c := client(t, s)
		do(t, c, "POST", s.URL+"/set", url.Values{"k": {"user"}, "v": {"ana"}})
		before := mem.Len()
		do(t, c, "POST", s.URL+"/logout", nil)
		if after := mem.Len(); after != before-1 {
			t.Errorf("%d sessions stored after a logout, %d before: want the logged-out one deleted", after, before)
		}
	})
}
