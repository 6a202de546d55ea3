package timeout_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestChainThatGoesAsync: a handler below the filter that goes async (an
// SSE stream, a long poll, formdata.ParseAsync) fails its request with
// ErrAsync, which names the filter, on every protocol. It failed with
// api.ErrNotSerialized alone, "response used outside its serialized
// task", which names no culprit.
func TestChainThatGoesAsync(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", timeout.New(timeout.Config{Timeout: 5 * time.Second}))
		c.HandleFunc("/start", func(w api.Response, r *api.Request) error {
			_, err := async.Start(r)
			return err
		})
		c.HandleFunc("/suspend", func(w api.Response, r *api.Request) error {
			return continuation.Of(r).Suspend()
		})
		// Two filters stacked: the inner one's chain runs on the outer
		// one's goroutine, and the error says so once.
		c.Filter("/nested/*", timeout.New(timeout.Config{Timeout: 4 * time.Second}))
		c.HandleFunc("/nested/start", func(w api.Response, r *api.Request) error {
			_, err := async.Start(r)
			return err
		})
		c.HandleFunc("/plain", func(w api.Response, r *api.Request) error {
			return errors.New("plain")
		})
		container.ErrorPageAs[error](c.Root(), api.HandlerFunc(func(w api.Response, r *api.Request) error {
			err := container.ErrorOf(r)
			_, werr := io.WriteString(w, strings.Join([]string{
				err.Error(),
				boolText(errors.Is(err, timeout.ErrAsync)),
				boolText(errors.Is(err, api.ErrNotSerialized)),
			}, "|"))
			return werr
		}))
	}
	tests := []struct {
		path string
		want string
	}{
		{"/start", timeout.ErrAsync.Error() + ": " + api.ErrNotSerialized.Error() + "|true|true"},
		{"/suspend", timeout.ErrAsync.Error() + ": " + api.ErrNotSerialized.Error() + "|true|true"},
		{"/nested/start", timeout.ErrAsync.Error() + ": " + api.ErrNotSerialized.Error() + "|true|true"},
		{"/plain", "plain|false|false"},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			resp, err := s.Client.Get(s.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusInternalServerError || string(body) != tt.want {
				t.Errorf("%s: %d %q, want 500 %q", tt.path, resp.StatusCode, body, tt.want)
			}
		}
	}, container.WithLogger(wharftest.DiscardLogger()))
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
