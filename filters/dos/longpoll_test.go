package dos_test

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// cycles is how many times the long polls below are re-dispatched.
const cycles = 50

// cycleEnds are the ways a long poll's wait ends in a re-dispatch, after
// the given time: its continuation resumed, or expired, and async mode's
// Redispatch.
var cycleEnds = []struct {
	name string
	wait func(after time.Duration) func(w api.Response, r *api.Request) error
}{
	{"resumed", func(after time.Duration) func(w api.Response, r *api.Request) error {
		return func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			c.SetTimeout(time.Hour)
			if err := c.Suspend(); err != nil {
				return err
			}
			time.AfterFunc(after, func() { c.Resume() })
			return nil
		}
	}},
	{"expired", func(after time.Duration) func(w api.Response, r *api.Request) error {
		return func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			c.SetTimeout(after)
			return c.Suspend()
		}
	}},
	{"redispatched", func(after time.Duration) func(w api.Response, r *api.Request) error {
		return func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			a.SetTimeout(time.Hour)
			time.AfterFunc(after, func() { a.Redispatch() })
			return nil
		}
	}},
}

// longPoll waits cycles times, then answers with how many of its
// re-dispatches saw a deadline other than its first dispatch's: each would
// be a MaxRequestTime timer (and the listener that stops it) made for that
// re-dispatch, living as long as the request. first checks the first
// dispatch's deadline.
func longPoll(wait func(w api.Response, r *api.Request) error, first func(deadline time.Time, has bool)) api.Handler {
	var mu sync.Mutex // the dispatches of one request follow one another, on any goroutine
	var deadline time.Time
	n, fresh := 0, 0
	return api.HandlerFunc(func(w api.Response, r *api.Request) error {
		mu.Lock()
		d, ok := r.Context().Deadline()
		if n == 0 {
			deadline = d
			first(d, ok)
		} else if ok && !d.Equal(deadline) {
			fresh++
		}
		if n == cycles {
			mu.Unlock()
			_, err := fmt.Fprintf(w, "%d re-dispatches, %d with a deadline of their own", n, fresh)
			return err
		}
		n++
		mu.Unlock()
		return wait(w, r)
	})
}

var wantLongPoll = fmt.Sprintf("%d re-dispatches, 0 with a deadline of their own", cycles)

// Under MaxRequestTime a request's deadline is the one its first pass
// into the chain made, and only that pass makes one: a long poll
// re-dispatched many times makes no timer and no listener per cycle. So
// too for a request this filter delayed first, whose first pass is a
// re-dispatch.
func TestMaxRequestTimeOncePerRequest(t *testing.T) {
	for _, delayed := range []bool{false, true} {
		for _, tt := range cycleEnds {
			t.Run(fmt.Sprintf("%s/delayed=%t", tt.name, delayed), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					f := newFilter(t, dos.Config{Rate: 1, Burst: 1, Delay: time.Second, MaxRequestTime: time.Hour})
					if delayed {
						request(api.Compose(ok, f), "192.0.2.1:1") // takes the token
					}
					h := api.Compose(longPoll(tt.wait(time.Second), func(d time.Time, has bool) {
						if !has || !d.Equal(time.Now().Add(time.Hour)) {
							t.Errorf("first pass: deadline %v %v, want MaxRequestTime from now", d, has)
						}
					}), f)
					x := request(h, "192.0.2.1:2")
					if x.Out.Status() != http.StatusOK || x.Out.Body() != wantLongPoll {
						t.Errorf("got %d %q, want 200 %q", x.Out.Status(), x.Out.Body(), wantLongPoll)
					}
					wantDelayed := int64(0)
					if delayed {
						wantDelayed = 1
					}
					if st := f.Stats(); st.Delayed != wantDelayed || st.Rejected != 0 {
						t.Errorf("stats %+v, want %d delayed, none refused", st, wantDelayed)
					}
				})
			})
		}
	}
}

// The same on the wire, on every protocol.
func TestMaxRequestTimeOncePerRequestOnTheWire(t *testing.T) {
	for _, tt := range cycleEnds {
		t.Run(tt.name, func(t *testing.T) {
			build := func(c *container.Container) {
				c.Filter("/*", newFilter(t, dos.Config{MaxRequestTime: time.Hour}))
				c.Handle("/poll", longPoll(tt.wait(time.Millisecond), func(d time.Time, has bool) {
					if !has {
						t.Error("first dispatch: no deadline, want MaxRequestTime's")
					}
				}))
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				resp, err := s.Client.Get(s.URL + "/poll")
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || string(body) != wantLongPoll {
					t.Errorf("got %d %q %v, want 200 %q", resp.StatusCode, body, err, wantLongPoll)
				}
			}, container.WithLogger(wharftest.DiscardLogger()))
		})
	}
}
