package session_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// outage is a store that is down: each call fails with err, or, with a nil
// err, waits for its context to end (a broker that does not answer).
type outage struct{ err error }

func (o outage) fail(ctx context.Context) error {
	if o.err != nil {
		return o.err
	}
	<-ctx.Done()
	return fmt.Errorf("store: %w", ctx.Err())
}

func (o outage) Load(ctx context.Context, _ string) (session.Record, error) {
	return session.Record{}, o.fail(ctx)
}
func (o outage) Save(ctx context.Context, _ string, _ session.Record) (uint64, error) {
	return 0, o.fail(ctx)
}
func (o outage) Delete(ctx context.Context, _ string) error { return o.fail(ctx) }

// A store that cannot be reached fails the request with 503 and
// Retry-After, through the error pages, with ErrUnavailable and the
// store's error in its cause, whether the session's load or its save
// failed: the dependency is down for a while; so does a store whose error
// is ErrUnavailable already. Another store error is a 500.
func TestStoreUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	boom := errors.New("boom")
	// A store's own outage, which only the store knows for one.
	down := fmt.Errorf("kv: %w: connection closed", session.ErrUnavailable)
	tests := []struct {
		name       string
		store      outage
		timeout    time.Duration
		cookie     bool // the request names a session: the store is loaded
		status     int
		retryAfter string
		cause      error
	}{
		{"load times out", outage{}, time.Millisecond, true, 503, "1", context.DeadlineExceeded},
		{"save times out", outage{}, time.Millisecond, false, 503, "1", context.DeadlineExceeded},
		{"load refused", outage{refused}, 0, true, 503, "5", refused},
		{"save refused", outage{refused}, 1500 * time.Millisecond, false, 503, "2", refused},
		{"load says unavailable", outage{down}, 0, true, 503, "5", down},
		{"save says unavailable", outage{down}, 0, false, 503, "5", down},
		{"load fails otherwise", outage{boom}, 0, true, 500, "", boom},
		{"save fails otherwise", outage{boom}, 0, false, 500, "", boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, retryAfter, cause := sessiontest.StoreFails(t, session.Config{Store: tt.store, StoreTimeout: tt.timeout}, tt.cookie)
			if status != tt.status || retryAfter != tt.retryAfter {
				t.Errorf("answered %d with Retry-After %q, want %d with %q", status, retryAfter, tt.status, tt.retryAfter)
			}
			if !errors.Is(cause, tt.cause) || errors.Is(cause, session.ErrUnavailable) != (tt.status == 503) {
				t.Errorf("error page given %v, want %v, with ErrUnavailable for a 503", cause, tt.cause)
			}
			if cause == nil {
				return
			}
			if n := strings.Count(cause.Error(), session.ErrUnavailable.Error()); n > 1 {
				t.Errorf("error page given %v, which says %q %d times", cause, session.ErrUnavailable, n)
			}
		})
	}
}
