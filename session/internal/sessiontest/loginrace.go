package sessiontest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// LoginRacesLogout makes a login (RenewID) race a logout (Invalidate) of
// one session, two requests of one client on the same cookie, over real
// sockets, through a Manager on store: the logout runs, to its answer,
// while the login has loaded the session and is saving its copy under the
// new ID, the moment a renewal that is not atomic lets the ended session's
// values through. It fails t if those values are found afterwards, under
// the new ID or the old, or if the login did not log in. Atomic says
// whether the Manager sees store as the session.RevisionDeleter it is, or
// only as a session.Store, to test the fallback.
func LoginRacesLogout(t *testing.T, store session.Store, atomic bool) {
	t.Helper()
	hooked := &raceStore{Store: store}
	var st session.Store = hooked
	if atomic {
		st = atomicRaceStore{hooked}
	}
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.Filter("/*", session.New(session.Config{Store: st}))
	c.HandleFunc("POST /cart", func(w api.Response, r *api.Request) error {
		session.Of(r).Set("cart", "secret")
		return nil
	})
	c.HandleFunc("POST /login", func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		if err := s.RenewID(); err != nil {
			return err
		}
		s.Set("user", "bob")
		return nil
	})
	c.HandleFunc("POST /logout", func(w api.Response, r *api.Request) error {
		return session.Of(r).Invalidate()
	})
	c.HandleFunc("GET /get/{key}", GetKey)
	base := "http://" + wharftest.Listen(t, c)

	_, cart := send(t, "POST", base+"/cart", "")
	if cart == "" {
		t.Fatal("no session cookie for the cart")
	}
	logoutRan := make(chan struct{})
	logout := func() {
		// The login's goroutine: t.Error only.
		defer close(logoutRan)
		req, _ := http.NewRequest("POST", base+"/logout", nil)
		req.AddCookie(&http.Cookie{Name: "wharf_session", Value: cart})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("logout: %s", resp.Status)
		}
	}
	hooked.onCopy.Store(&logout)
	_, login := send(t, "POST", base+"/login", cart)
	select {
	case <-logoutRan:
	default:
		t.Fatal("the login saved no copy under a new ID: the race did not happen")
	}
	if login == "" || login == cart {
		t.Fatalf("login answered with session cookie %q (the old one: %q)", login, cart)
	}
	if v, _ := send(t, "GET", base+"/get/cart", login); v != "-" {
		t.Errorf("the logged-out session's cart reached the new ID: %q", v)
	}
	if v, _ := send(t, "GET", base+"/get/user", login); v != "bob" {
		t.Errorf("the new ID reads user %q, want the login's bob", v)
	}
	if v, _ := send(t, "GET", base+"/get/cart", cart); v != "-" {
		t.Errorf("the logged-out ID reads cart %q", v)
	}
}

// GetKey answers the value the request's session holds under the path
// parameter key, or "-" if none: what the end-to-end tests read sessions
// back with, mapped as "GET /get/{key}".
func GetKey(w api.Response, r *api.Request) error {
	v, ok := session.Of(r).Get(r.PathParam("key"))
	if !ok {
		v = "-"
	}
	_, err := w.WriteString(v)
	return err
}

// send sends method to u with the session cookie id ("" for none) and
// returns the body and the session cookie of the answer ("" if none, or
// one that drops it).
func send(t *testing.T, method, u, id string) (body, cookie string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id != "" {
		req.AddCookie(&http.Cookie{Name: "wharf_session", Value: id})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %s %v", method, u, resp.Status, b, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "wharf_session" && c.MaxAge >= 0 {
			cookie = c.Value
		}
	}
	return string(b), cookie
}

// raceStore runs onCopy, once, before the first save of a new record
// once it is set: the copy RenewID saves under the new ID.
type raceStore struct {
	session.Store
	onCopy atomic.Pointer[func()]
}

func (s *raceStore) Save(ctx context.Context, id string, rec session.Record) (uint64, error) {
	if rec.Revision == 0 {
		if f := s.onCopy.Swap(nil); f != nil {
			(*f)()
		}
	}
	return s.Store.Save(ctx, id, rec)
}

// atomicRaceStore is a raceStore that is a session.RevisionDeleter, as
// the Store it wraps is.
type atomicRaceStore struct{ *raceStore }

func (s atomicRaceStore) DeleteRevision(ctx context.Context, id string, rev uint64) error {
	return s.Store.(session.RevisionDeleter).DeleteRevision(ctx, id, rev)
}

// RevisionDeletes checks st's DeleteRevision against the contract of
// session.RevisionDeleter: it deletes only at the stored revision, and
// changes nothing otherwise.
func RevisionDeletes(t *testing.T, st interface {
	session.Store
	session.RevisionDeleter
}) {
	t.Helper()
	ctx := t.Context()
	const id, other = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "BCDEFGHIJKLMNOPQRSTUVWXYZA"
	now := time.Now()
	rec := session.Record{Values: map[string]string{"k": "v"}, Created: now, LastAccess: now, Expires: now.Add(time.Hour)}
	r1, err := st.Save(ctx, id, rec)
	if err != nil {
		t.Fatal(err)
	}
	rec.Revision = r1
	r2, err := st.Save(ctx, id, rec)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		id   string
		rev  uint64
		want error
	}{
		{"revision zero", id, 0, session.ErrConflict},
		{"a revision saved over", id, r1, session.ErrConflict},
		{"a revision never given", id, r2 + 100, session.ErrConflict},
		{"a missing ID", other, r2, session.ErrConflict},
		{"the stored revision", id, r2, nil},
		{"a deleted ID", id, r2, session.ErrConflict},
	}
	for _, s := range steps {
		if err := st.DeleteRevision(ctx, s.id, s.rev); !errors.Is(err, s.want) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.want)
		}
		_, err := st.Load(ctx, id)
		if deleted := errors.Is(err, session.ErrNotFound); deleted != (s.want == nil || s.name == "a deleted ID") {
			t.Fatalf("%s: Load = %v afterwards", s.name, err)
		}
	}
}
