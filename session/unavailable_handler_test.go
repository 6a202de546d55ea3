package session_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// writeOutage is a store whose loads work and whose writes fail as outage
// says: down after the session was loaded.
type writeOutage struct {
	session.Store
	out outage
}

func (s writeOutage) Save(ctx context.Context, _ string, _ session.Record) (uint64, error) {
	return 0, s.out.fail(ctx)
}
func (s writeOutage) Delete(ctx context.Context, _ string) error { return s.out.fail(ctx) }

// A store that fails a handler's Invalidate or RenewID (a logout, a login)
// and whose error the handler returns fails the request as a failed load
// or save does: 503 with Retry-After and ErrUnavailable in the cause if
// the store could not be reached, 503 with api.ErrShutdown if it was
// closed, 500 otherwise; not a 500 for every logout during an outage.
func TestStoreUnavailableInHandler(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	boom := errors.New("boom")
	down := fmt.Errorf("kv: %w: connection closed", session.ErrUnavailable)
	tests := []struct {
		name       string
		path       string
		out        outage
		timeout    time.Duration
		status     int
		retryAfter string
		cause      error
	}{
		{"invalidate refused", "/logout", outage{refused}, 0, 503, "5", session.ErrUnavailable},
		{"invalidate times out", "/logout", outage{}, time.Millisecond, 503, "1", context.DeadlineExceeded},
		{"invalidate says unavailable", "/logout", outage{down}, 0, 503, "5", down},
		{"invalidate on a closed store", "/logout", outage{session.ErrClosed}, 0, 503, "", api.ErrShutdown},
		{"invalidate fails otherwise", "/logout", outage{boom}, 0, 500, "", boom},
		{"renew refused", "/login", outage{refused}, 0, 503, "5", session.ErrUnavailable},
		{"renew times out", "/login", outage{}, time.Millisecond, 503, "1", context.DeadlineExceeded},
		{"renew fails otherwise", "/login", outage{boom}, 0, 500, "", boom},
		{"save refused", "/save", outage{refused}, 0, 503, "5", session.ErrUnavailable},
		// The handler's own StatusError is its answer, a 500 as any other.
		{"invalidate in the handler's 500", "/logout-500", outage{refused}, 0, 500, "", syscall.ECONNREFUSED},
		{"invalidate in the handler's 502", "/logout-502", outage{refused}, 0, 502, "", syscall.ECONNREFUSED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := session.NewMemoryStore(session.MemoryConfig{})
			defer mem.Close()
			const id = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			now := time.Now()
			if _, err := mem.Save(t.Context(), id, session.Record{Values: map[string]string{"user": "ann"}, Created: now, LastAccess: now, Expires: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			c.Filter("/*", session.New(session.Config{Store: writeOutage{mem, tt.out}, StoreTimeout: tt.timeout, Logger: wharftest.DiscardLogger()}))
			c.HandleFunc("/logout", func(w api.Response, r *api.Request) error { return session.Of(r).Invalidate() })
			for _, code := range []int{500, 502} {
				c.HandleFunc(fmt.Sprintf("/logout-%d", code), func(w api.Response, r *api.Request) error {
					if err := session.Of(r).Invalidate(); err != nil {
						return &api.StatusError{Code: code, Err: err}
					}
					return nil
				})
			}
			c.HandleFunc("/login", func(w api.Response, r *api.Request) error { return session.Of(r).RenewID() })
			c.HandleFunc("/save", func(w api.Response, r *api.Request) error {
				s := session.Of(r)
				s.Set("k", "v")
				return s.Save(r.Context())
			})
			causes := make(chan error, 1)
			container.ErrorPageAs[error](c.Root(), api.HandlerFunc(func(w api.Response, r *api.Request) error {
				causes <- container.ErrorOf(r)
				return nil
			}))
			req, _ := http.NewRequest("POST", "http://"+wharftest.Listen(t, c)+tt.path, nil)
			req.AddCookie(&http.Cookie{Name: "wharf_session", Value: id})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.retryAfter {
				t.Errorf("answered %d with Retry-After %q, want %d with %q", resp.StatusCode, resp.Header.Get("Retry-After"), tt.status, tt.retryAfter)
			}
			var cause error
			select {
			case cause = <-causes:
			default:
			}
			if !errors.Is(cause, tt.cause) {
				t.Errorf("error page given %v, want %v", cause, tt.cause)
			}
		})
	}
}
