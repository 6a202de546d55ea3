package qos_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A forward or include with filters made from a task of the request,
// once the dispatch that held the filter's permit has returned and given
// it back, is a pass into the chain like any other: it runs on a permit of
// its own, on every protocol, where the mark of the pass that had let the
// request in took it through on none.
func TestForwardWithFiltersAfterPassTakesPermit(t *testing.T) {
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
			active := make(chan int, 1)
			build := func(c *container.Container) {
				f = qos.New(qos.Config{MaxRequests: 1, MaxWait: time.Second})
				c.Filter("/*", f)
				c.HandleFunc("/a", func(w api.Response, r *api.Request) error {
					a, err := async.Start(r)
					if err != nil {
						return err
					}
					// Runs once this dispatch, and its permit, are over.
					return a.Dispatch(func(w api.Response) {
						if err := tt.to(w, a.Request(), "/b", dispatcher.WithFilters()); err != nil {
							_ = a.Fail(err)
							return
						}
						_ = a.Complete()
					})
				})
				c.HandleFunc("/b", func(w api.Response, r *api.Request) error {
					active <- f.Stats().Active
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
				select {
				case n := <-active:
					if n != 1 {
						t.Errorf("the target ran with %d permits taken, want 1 (its own)", n)
					}
				default:
					t.Error("the target did not run")
				}
				if !wharftest.Poll(func() bool { return f.Stats().Active == 0 }) {
					t.Errorf("permits still taken: %+v", f.Stats())
				}
			}, container.WithLogger(wharftest.DiscardLogger()))
		})
	}
}
