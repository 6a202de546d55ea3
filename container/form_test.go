package container_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestFormsAndCookies: a form posted and a cookie set and read back, on
// every protocol, with the container's form limit answered 413.
func TestFormsAndCookies(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("POST /login", func(w api.Response, r *api.Request) error {
			form, err := r.Form()
			if err != nil {
				return err
			}
			if err := api.SetCookie(w, &http.Cookie{Name: "session", Value: form.Get("user") + "-" + r.QueryValue("v"), Path: "/", HttpOnly: true}); err != nil {
				return err
			}
			_, err = io.WriteString(w, "welcome "+r.FormValue("user"))
			return err
		})
		c.HandleFunc("GET /me", func(w api.Response, r *api.Request) error {
			ck, err := r.Cookie("session")
			if err != nil {
				return api.Error(http.StatusUnauthorized, "no session")
			}
			_, err = io.WriteString(w, ck.Value)
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		resp, err := s.Client.Post(s.URL+"/login?v=2", "application/x-www-form-urlencoded", strings.NewReader("user=ann"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cookies := resp.Cookies()
		if resp.StatusCode != 200 || string(b) != "welcome ann" || len(cookies) != 1 || cookies[0].Value != "ann-2" || !cookies[0].HttpOnly {
			t.Fatalf("POST /login = %d %q, cookies %v", resp.StatusCode, b, cookies)
		}
		req, _ := http.NewRequest("GET", s.URL+"/me", nil)
		req.AddCookie(cookies[0])
		req.AddCookie(&http.Cookie{Name: "other", Value: "x"})
		resp, err = s.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ann-2" {
			t.Errorf("GET /me = %d %q", resp.StatusCode, b)
		}

		resp, err = s.Client.Post(s.URL+"/login", "application/x-www-form-urlencoded", strings.NewReader("user="+strings.Repeat("a", 100)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("form over the limit = %d, want 413", resp.StatusCode)
		}
	}, container.WithMaxFormBytes(64))
}
