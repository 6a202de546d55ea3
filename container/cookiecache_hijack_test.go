package container_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// A head the taker of the connection sends from the response's fields (a
// mounted net/http handler that hijacks after WriteHeader: api.FromHTTP
// writes that head) says no-cache="Set-Cookie" too when it sets a cookie,
// as a head the container commits does, where it went with the handler's
// policy alone, and a shared cache could hand the cookie (a session's,
// set by a filter in front) to the next client.
func TestHijackedHeadCookieNotCached(t *testing.T) {
	build := func(c *container.Container) {
		c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
			if r.QueryValue("cookie") != "" {
				if err := api.SetCookie(w, &http.Cookie{Name: "sid", Value: "secret"}); err != nil {
					return err
				}
			}
			return next.Next(w, r)
		})
		c.Handle("/page", api.FromHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if cc := r.URL.Query().Get("cc"); cc != "" {
				w.Header().Set("Cache-Control", cc)
			}
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusOK)
			conn, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			brw.WriteString("page")
			brw.Flush()
		})))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if !s.Mode.HTTP1() {
			t.Skip("no connection to take on HTTP/2 and HTTP/3")
		}
		for _, tc := range []struct {
			cookie bool
			cc     string
			want   []string
		}{
			{true, "", []string{`no-cache="Set-Cookie"`}},
			{true, "public, max-age=60", []string{`public, max-age=60, no-cache="Set-Cookie"`}},
			{true, "no-store", []string{"no-store"}},
			{false, "public, max-age=60", []string{"public, max-age=60"}},
			{false, "", nil},
		} {
			q := url.Values{"cc": {tc.cc}}
			if tc.cookie {
				q.Set("cookie", "1")
			}
			resp, err := s.Client.Get(s.URL + "/page?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := resp.Header.Values("Cache-Control")
			if cookies := resp.Header.Values("Set-Cookie"); err != nil || string(body) != "page" ||
				(len(cookies) > 0) != tc.cookie || !slices.Equal(got, tc.want) {
				t.Errorf("cookie %v, handler's %q: %q %v, Set-Cookie %q, Cache-Control %q; want %q",
					tc.cookie, tc.cc, body, err, cookies, got, tc.want)
			}
		}
	})
}
