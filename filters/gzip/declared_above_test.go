package gzip_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
)

// A body held back below MinSize is held to a Content-Length that did not
// go through the filter's Header: one a filter above set on the
// Response it passed on, or the handler set on the Response under the
// filter's (Unwrap). The filter, which looked for a length only once its
// own Header was asked for, took the write past it and had the container
// refuse the whole body it held when the response ended: a 500 in place
// of the body declared.
func TestDeclaredLengthNotThroughFilterHeld(t *testing.T) {
	seen := make(chan error, 1)
	build := func(c *container.Container) {
		c.Filter("/above/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			w.Header().Set("Content-Length", "5")
			return next.Next(w, r)
		}))
		c.Filter("/*", gzip.New(gzip.Config{}))
		handler := func(w api.Response, r *api.Request) error {
			if r.QueryValue("via") == "unwrap" {
				w.(api.Unwrapper).Unwrap().Header().Set("Content-Length", "5")
			}
			api.SetContentType(w, "text/plain")
			_, err1 := w.Write([]byte("hello"))
			_, err2 := w.WriteString(" world")
			var err3 error
			if r.QueryValue("then") == "big" {
				// Past MinSize: the filter decides, and lets the
				// held bytes go.
				_, err3 = w.WriteString(text)
				if !errors.Is(err3, http.ErrContentLength) {
					err3 = fmt.Errorf("the write past MinSize returned %v, want http.ErrContentLength", err3)
				} else {
					err3 = nil
				}
			}
			select {
			case seen <- errors.Join(err1, err2, err3):
			default: // a failed case did not read its own
			}
			return nil // the response holds what was declared
		}
		c.HandleFunc("/above/x", handler)
		c.HandleFunc("/x", handler)
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, target := range []string{"/above/x", "/x?via=unwrap", "/above/x?then=big", "/x?via=unwrap&then=big"} {
			for _, tt := range []struct{ method, ae, want string }{
				{"GET", "gzip", "hello"},
				{"GET", "identity", "hello"},
				{"HEAD", "gzip", ""},
			} {
				if tt.method == "HEAD" && strings.HasSuffix(target, "then=big") {
					continue // a HEAD decided to compress writes nothing
				}
				name := fmt.Sprintf("%s %s, %s", tt.method, target, tt.ae)
				select {
				case <-seen:
				default:
				}
				req, err := http.NewRequestWithContext(t.Context(), tt.method, s.URL+target, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Accept-Encoding", tt.ae)
				resp, b := s.Do(t, req)
				if err := <-seen; err != nil && !errors.Is(err, http.ErrContentLength) {
					t.Errorf("%s: the handler's writes returned %v", name, err)
				}
				if resp.Header.Get("Content-Encoding") == "gzip" {
					b = []byte(gunzip(t, b)) // decided past MinSize
				} else if resp.Header.Get("Content-Length") != "5" {
					t.Errorf("%s: Content-Length %q, want 5", name, resp.Header.Get("Content-Length"))
				}
				if resp.StatusCode != http.StatusOK || string(b) != tt.want {
					t.Errorf("%s: %d %q, want 200 %q", name, resp.StatusCode, b, tt.want)
				}
			}
		}
	})
}
