package gzip_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
)

// A HEAD is written as the GET it stands for, and held to the
// Content-Length it declared as the GET is: a write past it is refused
// (http.ErrContentLength), as the container refuses it for a HEAD it
// answers alone. Decided to compress, the filter took it.
func TestHeadHeldToDeclaredLength(t *testing.T) {
	seen := make(chan string, 1)
	build := func(c *container.Container) {
		c.Filter("/*", gzip.New(gzip.Config{}))
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "2000")
			_, err := w.WriteString(text) // 2700 bytes
			select {
			case seen <- fmt.Sprint(errors.Is(err, http.ErrContentLength)):
			default:
			}
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, method := range []string{"GET", "HEAD"} {
			for _, ae := range []string{"gzip", "identity"} {
				select {
				case <-seen:
				default:
				}
				req, err := http.NewRequestWithContext(t.Context(), method, s.URL+"/", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Accept-Encoding", ae)
				if resp, err := s.Client.Do(req); err == nil {
					resp.Body.Close()
				}
				if got := <-seen; got != "true" {
					t.Errorf("%s, %s: the write past Content-Length 2000 refused: %s, want true", method, ae, got)
				}
			}
		}
	})
}
