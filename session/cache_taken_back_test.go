package session_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// A new session that could not be stored takes its cookie back, and the
// request fails: the answer sets no cookie, and keeps the Cache-Control
// the handler set (none, or its own) as it was, on every protocol, where
// the Set-Cookie key left with no value had the container add
// no-cache="Set-Cookie" for a cookie that was not there.
func TestTakenBackCookieNoCacheControl(t *testing.T) {
	for _, cc := range []string{"", "no-store"} {
		t.Run("cc="+cc, func(t *testing.T) {
			build := func(c *container.Container) {
				c.Filter("/*", session.New(session.Config{Store: failingStore{errors.New("store down")}}))
				c.HandleFunc("GET /", func(w api.Response, r *api.Request) error {
					if cc != "" {
						w.Header().Set("Cache-Control", cc)
					}
					session.Of(r).Set("k", "v")
					return nil
				})
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				resp, err := s.Client.Get(s.URL + "/")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				var want []string
				if cc != "" {
					want = []string{cc}
				}
				got := resp.Header.Values("Cache-Control")
				if resp.StatusCode != http.StatusInternalServerError || len(resp.Header.Values("Set-Cookie")) != 0 || len(got) != len(want) || len(got) > 0 && got[0] != want[0] {
					t.Errorf("%d, Set-Cookie %q, Cache-Control %q; want 500, no cookie, Cache-Control %q",
						resp.StatusCode, resp.Header.Values("Set-Cookie"), got, want)
				}
			}, container.WithLogger(wharftest.DiscardLogger()))
		})
	}
}
