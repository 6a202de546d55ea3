package container_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// A response that sets a cookie tells shared caches not to reuse its
// Set-Cookie field, after whatever Cache-Control the handler set, on
// every protocol, whenever the head commits: a policy set after the
// cookie (a filter set it, the handler set its caching policy), and one
// followed by a flush or by a body larger than the output buffer, which
// commit the head during the handler. One that sets no cookie keeps the
// handler's field as it was.
func TestCookieNotCached(t *testing.T) {
	build := func(c *container.Container) {
		c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
			if r.QueryValue("cookie") != "" {
				if err := api.SetCookie(w, &http.Cookie{Name: "sid", Value: "secret"}); err != nil {
					return err
				}
			}
			return next.Next(w, r)
		})
		c.HandleFunc("/page", func(w api.Response, r *api.Request) error {
			if cc := r.QueryValue("cc"); cc != "" {
				w.Header().Set("Cache-Control", cc)
			}
			switch r.QueryValue("end") {
			case "flush":
				if _, err := w.WriteString("page"); err != nil {
					return err
				}
				return w.Flush()
			case "large":
				_, err := w.WriteString(strings.Repeat("x", 1<<20))
				return err
			}
			_, err := w.WriteString("page")
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tc := range []struct {
			cookie bool
			cc     string
			want   []string
		}{
			{true, "", []string{`no-cache="Set-Cookie"`}},
			{true, "public, max-age=60", []string{`public, max-age=60, no-cache="Set-Cookie"`}},
			{true, "no-store", []string{"no-store"}},
			{true, "private", []string{"private"}},
			{true, `no-cache="set-cookie"`, []string{`no-cache="set-cookie"`}},
			{false, "", nil},
			{false, "public, max-age=60", []string{"public, max-age=60"}},
		} {
			for _, end := range []string{"return", "flush", "large"} {
				q := url.Values{"cc": {tc.cc}, "end": {end}}
				if tc.cookie {
					q.Set("cookie", "1")
				}
				resp, err := s.Client.Get(s.URL + "/page?" + q.Encode())
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				got := resp.Header.Values("Cache-Control")
				if cookies := resp.Header.Values("Set-Cookie"); (len(cookies) > 0) != tc.cookie || !slices.Equal(got, tc.want) {
					t.Errorf("cookie %v, handler's %q, %s: Set-Cookie %q, Cache-Control %q; want %q",
						tc.cookie, tc.cc, end, cookies, got, tc.want)
				}
			}
		}
	})
}
