package session_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// A Save whose session another request ended since it was loaded (a
// logout in another tab, while an async task or a WebSocket's callback
// held the session) stores nothing, as the Manager's own saves do not:
// it says so, with ErrNotFound, where it returned nil, and the handler
// told its client that the write was kept. A Save with nothing to write
// still returns nil.
func TestSaveAfterInvalidation(t *testing.T) {
	for _, tt := range []struct {
		name    string
		set     bool
		wantErr bool
	}{
		{name: "changes", set: true, wantErr: true},
		{name: "nothing to write", set: false, wantErr: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mem *session.MemoryStore // the running mode's
			var started, proceed chan struct{}
			build := func(c *container.Container) {
				mem = session.NewMemoryStore(session.MemoryConfig{})
				started, proceed = make(chan struct{}), make(chan struct{})
				c.Filter("/*", session.New(session.Config{Store: mem, Logger: wharftest.DiscardLogger()}))
				c.HandleFunc("POST /login", func(w api.Response, r *api.Request) error {
					session.Of(r).Set("user", "ann")
					return nil
				})
				c.HandleFunc("POST /logout", func(w api.Response, r *api.Request) error {
					return session.Of(r).Invalidate()
				})
				c.HandleFunc("GET /later", func(w api.Response, r *api.Request) error {
					s := session.Of(r) // loaded now
					ac, err := async.Start(r)
					if err != nil {
						return err
					}
					go func() {
						close(started)
						<-proceed // the logout has ended the session
						ac.Dispatch(func(w api.Response) {
							if tt.set {
								s.Set("cart", "boats")
							}
							err := s.Save(context.Background())
							fmt.Fprintf(w, "%v|%v", err != nil, errors.Is(err, session.ErrNotFound))
							ac.Complete()
						})
					}()
					return nil
				})
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				defer mem.Close()
				_, resp := wharftest.Send(t, s.Client, "POST", s.URL+"/login", nil)
				ck := sessionCookie(resp)
				if ck == nil {
					t.Fatal("no session cookie at login")
				}
				with := func(method, path string) *http.Request {
					req, err := http.NewRequest(method, s.URL+path, nil)
					if err != nil {
						t.Fatal(err)
					}
					req.AddCookie(ck)
					return req
				}
				type answer struct {
					body string
					err  error
				}
				later := make(chan answer, 1)
				go func() {
					resp, err := s.Client.Do(with("GET", "/later"))
					if err != nil {
						later <- answer{err: err}
						return
					}
					defer resp.Body.Close()
					b, err := io.ReadAll(resp.Body)
					later <- answer{string(b), err}
				}()
				<-started
				resp, err := s.Client.Do(with("POST", "/logout"))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				close(proceed)
				a := <-later
				if a.err != nil {
					t.Fatal(a.err)
				}
				want := fmt.Sprintf("%v|%v", tt.wantErr, tt.wantErr)
				if a.body != want || mem.Len() != 0 {
					t.Fatalf("Save after the logout: error, ErrNotFound = %q, %d stored; want %q, 0", a.body, mem.Len(), want)
				}
			})
		})
	}
}
