package dos_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request is counted once, when it arrives: a forward or include with
// filters (dispatcher.WithFilters) that comes back through the filter is
// the same request, and goes on, on every protocol, where it took a
// second token, and was refused 429 for want of one.
func TestForwardWithFiltersCountedOnce(t *testing.T) {
	tests := []struct {
		name string
		to   func(w api.Response, r *api.Request, target string, opts ...dispatcher.Option) error
	}{
		{"forward", dispatcher.Forward},
		{"include", dispatcher.Include},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *dos.Filter
			build := func(c *container.Container) {
				// A token every 10 s: the request takes the only one.
				f = newFilter(t, dos.Config{Rate: 0.1, Burst: 1, Delay: -1})
				c.Filter("/*", f)
				c.HandleFunc("/a", func(w api.Response, r *api.Request) error {
					return tt.to(w, r, "/b", dispatcher.WithFilters())
				})
				c.HandleFunc("/b", func(w api.Response, r *api.Request) error {
					_, err := w.WriteString("b")
					return err
				})
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				resp, err := s.Client.Get(s.URL + "/a")
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || string(body) != "b" {
					t.Errorf("got %d %q %v, want 200 \"b\"", resp.StatusCode, body, err)
				}
				if st := f.Stats(); st.Passed != 1 || st.Rejected != 0 {
					t.Errorf("stats %+v, want one request passed, none refused", st)
				}
			}, container.WithLogger(wharftest.DiscardLogger()))
		})
	}
}
