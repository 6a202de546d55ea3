package main

// STAND-IN: the board's own minimal versions of packages session,
// session/natskv, auth, filters/csrf, static and formdata, written while
// those were not yet in the module. Each piece is replaced by the package
// as it lands.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/wharf-go/wharf/api"
)

const sessionCookie = "board_session"

const demoPassword = "board"

var errNoSession = errors.New("no such session")

type sessionStore interface {
	Load(ctx context.Context, id string) (map[string]string, error)
	Save(ctx context.Context, id string, values map[string]string) error
	Delete(ctx context.Context, id string) error
}

type memoryStore struct {
	mu sync.Mutex
	m  map[string]map[string]string
}

func newMemoryStore() *memoryStore { return &memoryStore{m: map[string]map[string]string{}} }

func (s *memoryStore) Load(_ context.Context, id string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok {
		return nil, errNoSession
	}
	return v, nil
}

func (s *memoryStore) Save(_ context.Context, id string, v map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = v
	return nil
}

func (s *memoryStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

type kvStore struct{ kv jetstream.KeyValue }

func newKVStore(ctx context.Context, js jetstream.JetStream) (*kvStore, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "board_sessions", TTL: 24 * time.Hour})
	if err != nil {
		return nil, err
	}
	return &kvStore{kv: kv}, nil
}

func (s *kvStore) Load(ctx context.Context, id string) (map[string]string, error) {
	e, err := s.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, errNoSession
	} else if err != nil {
		return nil, err
	}
	var v map[string]string
	return v, json.Unmarshal(e.Value(), &v)
}

func (s *kvStore) Save(ctx context.Context, id string, v map[string]string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.kv.Put(ctx, id, b)
	return err
}

func (s *kvStore) Delete(ctx context.Context, id string) error { return s.kv.Delete(ctx, id) }

type sessionKey struct{}

type session struct {
	id     string
	values map[string]string
}

func newSessions(store sessionStore) api.Filter {
	return api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		s := &session{}
		if ck, err := r.Cookie(sessionCookie); err == nil {
			if v, err := store.Load(r.Context(), ck.Value); err == nil {
				s = &session{id: ck.Value, values: v}
			}
		}
		return next.Next(w, r.WithAttribute(sessionKey{}, s).WithAttribute(storeKey{}, store))
	})
}

type storeKey struct{}

func userOf(r *api.Request) (string, bool) {
	s, _ := r.Attribute(sessionKey{}).(*session)
	if s == nil || s.values["user"] == "" {
		return "", false
	}
	return s.values["user"], true
}

func (a *app) login(w api.Response, r *api.Request) error {
	user, password := r.PostFormValue("user"), r.PostFormValue("password")
	if user == "" || password != demoPassword {
		return api.Error(http.StatusUnauthorized, "wrong user name or password")
	}
	store := r.Attribute(storeKey{}).(sessionStore)
	if s := r.Attribute(sessionKey{}).(*session); s.id != "" {
		store.Delete(r.Context(), s.id)
	}
	id := rand.Text()
	if err := store.Save(r.Context(), id, map[string]string{"user": user}); err != nil {
		return err
	}
	api.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Location", "/")
	return w.SetStatus(http.StatusSeeOther)
}

func (a *app) logout(w api.Response, r *api.Request) error {
	store := r.Attribute(storeKey{}).(sessionStore)
	if s := r.Attribute(sessionKey{}).(*session); s.id != "" {
		if err := store.Delete(r.Context(), s.id); err != nil {
			return err
		}
	}
	api.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	w.Header().Set("Location", "/")
	return w.SetStatus(http.StatusSeeOther)
}

func crossOriginFilter() api.Filter {
	cop := http.NewCrossOriginProtection()
	return api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		hr := &http.Request{Method: r.Method(), Header: r.Header().Clone(), Host: r.Host()}
		if err := cop.Check(hr); err != nil {
			return api.Error(http.StatusForbidden, err.Error())
		}
		return next.Next(w, r)
	})
}

type uploadedFile interface {
	Name() string
	Open() (io.ReadCloser, error)
}

type memFile struct {
	name string
	b    []byte
}

func (f memFile) Name() string { return f.name }
func (f memFile) Open() (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(string(f.b))), nil
}

func parseUpload(w api.Response, r *api.Request, done func(w api.Response, f uploadedFile, err error) error) error {
	_, params, err := mime.ParseMediaType(r.Header().Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return api.Error(http.StatusBadRequest, "send multipart/form-data")
	}
	mr := multipart.NewReader(r.Body(), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return api.Error(http.StatusBadRequest, "no file part")
		}
		if p.FormName() != "file" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, maxAttachmentBytes+1))
		if err != nil {
			return err
		}
		if len(b) > maxAttachmentBytes {
			return api.Error(http.StatusRequestEntityTooLarge, "the file is larger than 8 MiB")
		}
		return done(w, memFile{p.FileName(), b}, nil)
	}
}
