package container_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	engine "github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/modes"
)

// A body read once the response finished fails with an error wrapping
// api.ErrCompleted on Wharf's own connectors, as Request.Body says, and a
// form parsed before the response finished is still there. The late read
// runs once the request completed (its OnComplete listener ran: over
// HTTP/2 the client may have its answer before the server finished the
// stream) and a second request on the same connection was answered, so
// that the first one's connection has settled whatever the connector.
func TestBodyReadAfterResponse(t *testing.T) {
	for _, m := range modes.All {
		if m == modes.NetHTTP || m == modes.H3 {
			continue // net/http's and quic-go's bodies: their own errors
		}
		t.Run(string(m), func(t *testing.T) {
			late := make(chan *api.Request, 1)
			completed := make(chan struct{}, 1)
			c := container.New(modes.Options(m)...)
			c.HandleFunc("POST /late", func(w api.Response, r *api.Request) error {
				engine.From(r).AddListener(async.Listener{OnComplete: func(*api.Request, error) { completed <- struct{}{} }})
				if r.QueryValue("form") != "" {
					if _, err := r.Form(); err != nil {
						return err
					}
				}
				late <- r
				return nil
			})
			c.HandleFunc("/next", func(w api.Response, r *api.Request) error { return nil })
			s := modes.Start(t, m, c)
			for _, form := range []bool{false, true} {
				url := s.URL + "/late"
				if form {
					url += "?form=1"
				}
				res, err := s.Client.Post(url, "application/x-www-form-urlencoded", strings.NewReader("a=1"))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				r := <-late
				<-completed
				if res, err = s.Client.Get(s.URL + "/next"); err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if form {
					if v := r.PostFormValue("a"); v != "1" {
						t.Errorf("the form parsed during the response, after it: a=%q, want 1", v)
					}
					continue
				}
				if n, err := r.Body().Read(make([]byte, 8)); !errors.Is(err, api.ErrCompleted) {
					t.Errorf("a body read after the response: %d, %v; want an error wrapping api.ErrCompleted", n, err)
				}
			}
		})
	}
}
