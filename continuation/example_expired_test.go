package continuation_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/modes"
)

// The handler of ExampleContinuation_Complete sets 204, the answer if the
// room closes, before it suspends; that status stays on the response for
// the passes that follow, so its expired pass must set the status of the
// body it writes. It did not, and a poll that expired got a 500 (its write
// of "no news" refused on a 204) in place of "no news". The handler here
// is the example's, with a short timeout.
func TestExampleCompleteExpired(t *testing.T) {
	modes.Run(t, func(c *container.Container) {
		c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if cont.IsExpired() {
				// The 204 set below stays on the response: this pass
				// answers with a body, and says so.
				if err := w.SetStatus(http.StatusOK); err != nil {
					return err
				}
				_, err := io.WriteString(w, "no news")
				return err
			}
			if err := w.SetStatus(http.StatusNoContent); err != nil { // the answer if the room closes
				return err
			}
			cont.SetTimeout(10 * time.Millisecond)
			return cont.SuspendThen(func(continuation.Continuation) {})
		})
	}, func(t *testing.T, s *modes.Server) {
		req, _ := http.NewRequest("GET", s.URL+"/poll", nil)
		res, body := s.Do(t, req)
		if res.StatusCode != http.StatusOK || string(body) != "no news" {
			t.Errorf("expired poll answered %d %q, want 200 \"no news\"", res.StatusCode, body)
		}
	})
}
