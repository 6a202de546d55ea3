package container_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
)

// TestMappingPatternPerMethod: handlers of one path that name its
// parameters differently each see their own registration's pattern in
// the Mapping, agreeing with the parameter names they see (and with the
// http.route filters/telemetry takes from it), forwarded to or not.
func TestMappingPatternPerMethod(t *testing.T) {
	show := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		m := r.Mapping()
		_, err := fmt.Fprintf(w, "%s %v", m.Pattern, m.Params)
		return err
	})
	c := container.New()
	c.Handle("GET /items/{id}", show)
	c.Handle("DELETE /items/{itemID}", show)
	c.Handle("/items/{any}", show)
	c.Handle("GET /u/{uid}/*", show)
	c.Handle("POST /u/{user}/*", show)
	c.HandleFunc("/fwd/{x}", func(w api.Response, r *api.Request) error {
		return dispatcher.Forward(w, r, "/items/"+r.PathParam("x"))
	})
	c.HandleFunc("/fwdf/{x}", func(w api.Response, r *api.Request) error {
		return dispatcher.Forward(w, r, "/items/"+r.PathParam("x"), dispatcher.WithFilters())
	})
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/items/7", "/items/{id} [{id 7}]"},
		{"DELETE", "/items/7", "/items/{itemID} [{itemID 7}]"},
		{"PUT", "/items/7", "/items/{any} [{any 7}]"},
		{"GET", "/u/3/a", "/u/{uid}/* [{uid 3}]"},
		{"POST", "/u/3/a", "/u/{user}/* [{user 3}]"},
		{"DELETE", "/fwd/8", "/items/{itemID} [{itemID 8}]"},
		{"PUT", "/fwd/8", "/items/{any} [{any 8}]"},
		{"GET", "/fwd/8", "/items/{id} [{id 8}]"},
		{"DELETE", "/fwdf/9", "/items/{itemID} [{itemID 9}]"},
	} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != 200 || rec.Body.String() != tc.want {
			t.Errorf("%s %s = %d %q, want %q", tc.method, tc.path, rec.Code, rec.Body, tc.want)
		}
	}
}
