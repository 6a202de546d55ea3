package container_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// A chi router mounted under a prefix routes on the stripped path and keeps
// its URL parameters.
func TestMountChi(t *testing.T) {
	r := chi.NewRouter()
	r.Get("/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "user "+chi.URLParam(r, "id"))
	})
	r.Post("/users", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		w.Write(b)
	})
	build := func(c *container.Container) {
		c.Root().Mount("/api/*", http.StripPrefix("/api", r))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if code, body, _ := get(t, s, "/api/users/42"); code != 200 || body != "user 42" {
			t.Errorf("GET: %d %q", code, body)
		}
		resp, err := s.Client.Post(s.URL+"/api/users", "text/plain", strings.NewReader("bob"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 || string(b) != "bob" {
			t.Errorf("POST: %d %q", resp.StatusCode, b)
		}
		if code, _, _ := get(t, s, "/api/nope"); code != 404 {
			t.Errorf("chi 404: %d", code)
		}
	})
}
