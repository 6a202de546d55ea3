package qos_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A forward or include with filters (dispatcher.WithFilters) that comes
// back through the filter is the same request, in the chain on its permit
// already: it goes on, on every protocol, where it asked for a second
// permit, waited for the one it held, and was resumed into the same
// forward, for good.
func TestForwardWithFiltersHoldsOnePermit(t *testing.T) {
	tests := []struct {
		name string
		to   func(w api.Response, r *api.Request, target string, opts ...dispatcher.Option) error
	}{
		{"forward", dispatcher.Forward},
		{"include", dispatcher.Include},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *qos.Filter
			build := func(c *container.Container) {
				f = qos.New(qos.Config{MaxRequests: 1, MaxWait: time.Second})
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
				before := f.Stats()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				req, err := http.NewRequestWithContext(ctx, "GET", s.URL+"/a", nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := s.Client.Do(req)
				if err != nil {
					t.Fatalf("%v (stats %+v)", err, f.Stats())
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || string(body) != "b" {
					t.Errorf("got %d %q %v, want 200 \"b\"", resp.StatusCode, body, err)
				}
				if !wharftest.Poll(func() bool { return f.Stats().Active == 0 }) {
					t.Errorf("permits still taken: %+v", f.Stats())
				}
				st := f.Stats()
				if st.Admitted-before.Admitted != 1 || st.Rejected != before.Rejected || st.Waiting != 0 {
					t.Errorf("stats %+v, want one request admitted, none refused or waiting", st)
				}
			}, container.WithLogger(wharftest.DiscardLogger()))
		})
	}
}
