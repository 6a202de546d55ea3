package session_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// A store closed as the program shuts down fails the requests still
// served with 503, as api.ErrShutdown: the instance is going away, which is
// no fault of the program's (500) and no outage to wait out here
// (ErrUnavailable's Retry-After), whether the load or the save found it
// closed.
func TestStoreClosed(t *testing.T) {
	for _, cookie := range []bool{true, false} {
		name := map[bool]string{true: "load", false: "save"}[cookie]
		t.Run(name, func(t *testing.T) {
			store := session.NewMemoryStore(session.MemoryConfig{})
			store.Close()
			status, retryAfter, cause := sessiontest.StoreFails(t, session.Config{Store: store}, cookie)
			if status != http.StatusServiceUnavailable || retryAfter != "" {
				t.Errorf("answered %d with Retry-After %q, want 503 without", status, retryAfter)
			}
			if !errors.Is(cause, session.ErrClosed) || !errors.Is(cause, api.ErrShutdown) || errors.Is(cause, session.ErrUnavailable) {
				t.Errorf("error page given %v, want session.ErrClosed and api.ErrShutdown, not ErrUnavailable", cause)
			}
		})
	}
}
