package session_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// A new session first written by an async task cannot get its cookie
// then, and that write is lost (see Session); but the request's next
// dispatch can set the cookie again, so what it writes (a login, say,
// RenewID then Set) is stored and the client given the cookie, rather
// than dropped with the task's write while RenewID reports success.
func TestWriteInRedispatchAfterTaskWrite(t *testing.T) {
	tests := []struct {
		name  string
		renew bool // the re-dispatch logs in: RenewID, then Set
	}{
		{"set", false},
		{"renew then set", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := session.NewMemoryStore(session.MemoryConfig{})
			defer mem.Close()
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			c.Filter("/*", session.New(session.Config{Store: mem, Logger: wharftest.DiscardLogger()}))
			c.HandleFunc("GET /login", func(w api.Response, r *api.Request) error {
				if async.KindOf(r) == async.DispatchInitial {
					ac, err := async.Start(r)
					if err != nil {
						return err
					}
					return ac.Dispatch(func(api.Response) {
						session.Of(r).Set("search", "boats") // too late for a cookie
						ac.Redispatch()
					})
				}
				s := session.Of(r)
				if tc.renew {
					if err := s.RenewID(); err != nil {
						return err
					}
				}
				s.Set("user", "ana")
				return nil
			})
			c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
			addr := wharftest.Listen(t, c)

			resp, err := http.Get("http://" + addr + "/login")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var ck *http.Cookie
			for _, x := range resp.Cookies() {
				if x.Name == "wharf_session" {
					ck = x
				}
			}
			if resp.StatusCode != http.StatusOK || ck == nil || ck.Value == "" {
				t.Fatalf("login: %d, Set-Cookie %q; want 200 with the session's cookie", resp.StatusCode, resp.Header.Values("Set-Cookie"))
			}
			req, _ := http.NewRequest("GET", "http://"+addr+"/get/user", nil)
			req.AddCookie(ck)
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != "ana" {
				t.Fatalf("after login: user = %q (%v), want \"ana\"", b, err)
			}
		})
	}
}
