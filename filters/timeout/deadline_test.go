package timeout_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The chain's context has the filter's deadline, as net/http's
// TimeoutHandler's has, so that a handler passes it on to what it calls (a
// dial, a query's timeout, a deadline sent to a backend), or its parent's
// if that is earlier; the timeout's answer ends it (context.Cause is
// ErrTimeout). A chain whose call fails at that deadline, an instant
// before the timeout's own task, is answered by the timeout (503,
// ErrTimeout), not 500 for its call's error.
func TestChainContextDeadline(t *testing.T) {
	errIOTimeout := errors.New("dial tcp: i/o timeout")
	tests := []struct {
		name     string
		exchange bool          // served by an exchange (async mode), or blocking
		parent   time.Duration // a deadline on the request's context, 0 for none
		call     func(ctx context.Context) error
		want     time.Duration // the deadline the chain sees, from the start
	}{
		{"async, waits for its context", true, 0, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 10 * time.Second},
		{"async, a call ends at the deadline", true, 0, callUntilDeadline(errIOTimeout), 10 * time.Second},
		{"async, earlier parent", true, 5 * time.Second, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 5 * time.Second},
		{"blocking, waits for its context", false, 0, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 10 * time.Second},
		{"blocking, a call ends at the deadline", false, 0, callUntilDeadline(errIOTimeout), 10 * time.Second},
		{"blocking, later parent", false, time.Minute, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The chain's call and the timeout end at the same instant:
			// either may come first.
			for range 20 {
				synctest.Test(t, func(t *testing.T) {
					start := time.Now()
					var (
						deadline time.Time
						has      bool
						chainCtx context.Context
					)
					h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
						chainCtx = r.Context()
						deadline, has = chainCtx.Deadline()
						return tt.call(chainCtx)
					}), timeout.New(timeout.Config{Timeout: 10 * time.Second}))
					ctx := context.Background()
					if tt.parent > 0 {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, tt.parent)
						defer cancel()
					}
					var err error
					if tt.exchange {
						head := wharftest.Head("GET", "/")
						x := wharftest.NewExchangeFor(h, head, nil)
						x.Req = x.Req.WithContext(ctx)
						x.Begin()
						<-x.Done()
						_, _, err = x.Chan.Result()
					} else {
						err = h.Serve(wharftest.NewRecorder(), wharftest.Request("GET", "/").WithContext(ctx))
					}
					synctest.Wait()
					if !has || !deadline.Equal(start.Add(tt.want)) {
						t.Fatalf("chain's context deadline %v %v, want %v", deadline, has, start.Add(tt.want))
					}
					if cause := context.Cause(chainCtx); tt.parent == 0 && !errors.Is(cause, timeout.ErrTimeout) {
						t.Fatalf("chain's context cause %v, want ErrTimeout", cause)
					}
					if tt.parent == 0 && (api.StatusOf(err) != http.StatusServiceUnavailable || !errors.Is(err, timeout.ErrTimeout)) {
						t.Fatalf("failed with %v, want the timeout's 503", err)
					}
				})
			}
		})
	}
}

// callUntilDeadline is a call given the context's deadline (a dial), which
// fails with err there.
func callUntilDeadline(err error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		d, ok := ctx.Deadline()
		if !ok {
			return errors.New("no deadline")
		}
		<-time.After(time.Until(d))
		return err
	}
}

// On the wire, on every protocol, a handler sees the filter's deadline
// on its context.
func TestChainContextDeadlineOnTheWire(t *testing.T) {
	const limit = 5 * time.Second
	build := func(c *container.Container) {
		c.Filter("/*", timeout.New(timeout.Config{Timeout: limit}))
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			d, ok := r.Context().Deadline()
			if !ok {
				return api.Error(http.StatusInternalServerError, "no deadline")
			}
			_, err := io.WriteString(w, strconv.FormatInt(int64(time.Until(d)), 10))
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		resp, err := s.Client.Get(s.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		left, err := strconv.ParseInt(string(body), 10, 64)
		if resp.StatusCode != http.StatusOK || err != nil || left <= 0 || time.Duration(left) > limit {
			t.Errorf("got %d %q, want 200 and the time left, up to %v", resp.StatusCode, body, limit)
		}
	}, container.WithLogger(wharftest.DiscardLogger()))
}
