package auth_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// The allocations auth's filters add to a request whose user is known,
// pinned so that a regression fails. SessionUser: the lookup it attaches
// and the derived Request; Required then reads the user, whose roles
// decode into a slice of their own, the third (jsonstrings.Decode; with
// json.Unmarshal, 8). Bearer: the User's derived Request and its attribute;
// Required reads it for free. An Optional filter that passes on a request
// without credentials: the derived Request that carries its challenge for
// Required, one allocation with its attribute.
func TestAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	ok := api.HandlerFunc(func(api.Response, *api.Request) error { return nil })
	m, sessionReq := loggedIn(t)

	bearer := auth.Bearer(auth.BearerConfig{Check: func(_ context.Context, token string) (auth.User, error) {
		return auth.User{Name: "svc"}, nil
	}})
	bearerReq := api.NewRequest(t.Context(), wharftest.Head("GET", "/", "Authorization", "Bearer abc.def"), nil)
	optionalBearer := auth.Bearer(auth.BearerConfig{Optional: true, Check: func(_ context.Context, token string) (auth.User, error) {
		return auth.User{Name: "svc"}, nil
	}})
	optionalBasic := auth.Basic(auth.BasicConfig{Optional: true})
	anonymousReq := api.NewRequest(t.Context(), wharftest.Head("GET", "/"), nil)
	required := auth.Required(auth.RequiredConfig{})
	admin := auth.Required(auth.RequiredConfig{Roles: []string{"admin"}})

	for _, tt := range []struct {
		name          string
		with, without api.Handler
		r             *api.Request
		want          float64
	}{
		{"SessionUser, Required", api.Compose(ok, m, auth.SessionUser(), required), api.Compose(ok, m), sessionReq, 3},
		{"SessionUser, Required with a role", api.Compose(ok, m, auth.SessionUser(), admin), api.Compose(ok, m), sessionReq, 3},
		{"Bearer", api.Compose(ok, bearer), ok, bearerReq, 2},
		{"Bearer, Required", api.Compose(ok, bearer, required), ok, bearerReq, 2},
		{"Bearer Optional, a token", api.Compose(ok, optionalBearer, required), ok, bearerReq, 2},
		{"Basic and Bearer Optional, no credentials", api.Compose(ok, optionalBasic, optionalBearer), ok, anonymousReq, 2},
		{"Basic Optional, a token", api.Compose(ok, optionalBasic, optionalBearer, required), ok, bearerReq, 3},
	} {
		got := wharftest.AddedAllocs(100, tt.with, tt.without, tt.r)
		t.Logf("%s: %v", tt.name, got)
		if got > tt.want {
			t.Errorf("%s: %v allocations a request, want at most %v", tt.name, got, tt.want)
		}
	}
}

// BenchmarkSessionUserRequired serves a request whose session holds a
// user with a role through SessionUser and Required, as TestAllocs'
// first case: the cost of reading the user back on every request.
func BenchmarkSessionUserRequired(b *testing.B) {
	ok := api.HandlerFunc(func(api.Response, *api.Request) error { return nil })
	m, r := loggedIn(b)
	h := api.Compose(ok, m, auth.SessionUser(), auth.Required(auth.RequiredConfig{}))
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Serve(wharftest.NewRecorder(), r); err != nil {
			b.Fatal(err)
		}
	}
}

// loggedIn returns a session Manager and a request whose session, in a
// MemoryStore, holds the user "ana" with the role "admin" as Login stores
// them.
func loggedIn(tb testing.TB) (*session.Manager, *api.Request) {
	store := session.NewMemoryStore(session.MemoryConfig{})
	tb.Cleanup(func() { store.Close() })
	id := rand.Text()
	now := time.Now()
	if _, err := store.Save(tb.Context(), id, session.Record{
		Values:  map[string]string{"auth.user": "ana", "auth.roles": `["admin"]`},
		Created: now, LastAccess: now, Expires: now.Add(time.Hour),
	}); err != nil {
		tb.Fatal(err)
	}
	m := session.New(session.Config{Store: store})
	return m, api.NewRequest(tb.Context(), wharftest.Head("GET", "/", "Cookie", "wharf_session="+id), nil)
}
