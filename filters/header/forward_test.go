package header_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/header"
	"github.com/wharf-go/wharf/internal/modes"
)

// A forward through the filters (dispatcher.WithFilters), a page's or an
// error page's, passes the filter a second time with the response it
// already changed: Add's values are sent once, as on a request that
// passes the filter once, and Set's and the other fields stay as they
// were.
func TestAddOnceThroughForward(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", header.New(header.Config{
			Set: map[string]string{"X-Content-Type-Options": "nosniff"},
			Add: map[string]string{"Cache-Control": "no-store", "Vary": "Origin"},
		}))
		c.HandleFunc("/page", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("page")
			return err
		})
		c.HandleFunc("/forward", func(w api.Response, r *api.Request) error {
			return dispatcher.Forward(w, r, "/page", dispatcher.WithFilters())
		})
		c.HandleFunc("/fail", func(w api.Response, r *api.Request) error {
			return api.Error(http.StatusInternalServerError, "")
		})
		c.ErrorPage(http.StatusInternalServerError, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			return dispatcher.Forward(w, r, "/page", dispatcher.WithFilters())
		}))
	}
	tests := []struct {
		path   string
		status int
	}{
		{"/page", http.StatusOK},
		{"/forward", http.StatusOK},
		{"/fail", http.StatusInternalServerError},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			req, _ := http.NewRequest("GET", s.URL+tt.path, nil)
			resp, body := s.Do(t, req)
			if resp.StatusCode != tt.status || string(body) != "page" {
				t.Errorf("%s: %d %q, want %d \"page\"", tt.path, resp.StatusCode, body, tt.status)
			}
			for k, want := range map[string][]string{
				"Cache-Control":          {"no-store"},
				"Vary":                   {"Origin"},
				"X-Content-Type-Options": {"nosniff"},
			} {
				if got := resp.Header.Values(k); !slices.Equal(got, want) {
					t.Errorf("%s: %s %q, want %q", tt.path, k, got, want)
				}
			}
		}
	})
}
