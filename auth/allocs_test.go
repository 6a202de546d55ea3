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
// and the derived Request; Required then reads the user, decoding the
// roles' JSON (json.Unmarshal: the rest). Bearer: the User's derived
// Request and its attribute; Required reads it for free.
func TestAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	ok := api.HandlerFunc(func(api.Response, *api.Request) error { return nil })

	store := session.NewMemoryStore(session.MemoryConfig{})
	t.Cleanup(func() { store.Close() })
	id := rand.Text()
	now := time.Now()
	if _, err := store.Save(t.Context(), id, session.Record{
		Values:  map[string]string{"auth.user": "ana", "auth.roles": `["admin"]`},
		Created: now, LastAccess: now, Expires: now.Add(time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	m := session.New(session.Config{Store: store})
	sessionReq := api.NewRequest(t.Context(), wharftest.Head("GET", "/", "Cookie", "wharf_session="+id), nil)

	bearer := auth.Bearer(auth.BearerConfig{Check: func(_ context.Context, token string) (auth.User, error) {
		return auth.User{Name: "svc"}, nil
	}})
	bearerReq := api.NewRequest(t.Context(), wharftest.Head("GET", "/", "Authorization", "Bearer abc.def"), nil)
	required := auth.Required(auth.RequiredConfig{})
	admin := auth.Required(auth.RequiredConfig{Roles: []string{"admin"}})

	for _, tt := range []struct {
		name          string
		with, without api.Handler
		r             *api.Request
		want          float64
	}{
		{"SessionUser, Required", api.Compose(ok, m, auth.SessionUser(), required), api.Compose(ok, m), sessionReq, 8},
		{"SessionUser, Required with a role", api.Compose(ok, m, auth.SessionUser(), admin), api.Compose(ok, m), sessionReq, 8},
		{"Bearer", api.Compose(ok, bearer), ok, bearerReq, 2},
		{"Bearer, Required", api.Compose(ok, bearer, required), ok, bearerReq, 2},
	} {
		got := wharftest.AddedAllocs(100, tt.with, tt.without, tt.r)
		t.Logf("%s: %v", tt.name, got)
		if got > tt.want {
			t.Errorf("%s: %v allocations a request, want at most %v", tt.name, got, tt.want)
		}
	}
}
