package dos_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

var ok = api.HandlerFunc(func(w api.Response, r *api.Request) error {
	_, err := w.WriteString("ok")
	return err
})

// request runs one request from remote through h and waits for it.
func request(h api.Handler, remote string, kv ...string) *wharftest.Exchange {
	head := wharftest.Head("GET", "/", kv...)
	head.Conn = &api.ConnInfo{RemoteAddr: remote}
	x := wharftest.NewExchangeFor(h, head, nil).Begin()
	<-x.Done()
	return x
}

func newFilter(t *testing.T, cfg dos.Config) *dos.Filter {
	t.Helper()
	f, err := dos.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Within its burst a client goes straight through; past it a request is
// delayed, and refused with 429 and Retry-After if the client is still over
// the limit after the delay; tokens come back at Rate.
func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFilter(t, dos.Config{Rate: 2, Burst: 3, Delay: 100 * time.Millisecond})
		h := api.Compose(ok, f)
		for i := range 3 {
			if x := request(h, "192.0.2.1:1000"); x.Out.Status() != 200 {
				t.Fatalf("request %d within the burst: %d", i, x.Out.Status())
			}
		}
		start := time.Now()
		x := request(h, "192.0.2.1:1001")
		if x.Out.Status() != http.StatusTooManyRequests || x.Out.Result().Get("Retry-After") != "1" {
			t.Fatalf("over the limit: %d Retry-After %q", x.Out.Status(), x.Out.Result().Get("Retry-After"))
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Errorf("refused after %v, want the 100 ms delay", d)
		}
		// Another client is not affected.
		if x := request(h, "192.0.2.2:1000"); x.Out.Status() != 200 {
			t.Errorf("another client: %d", x.Out.Status())
		}
		// A delay long enough for a token lets the request through.
		time.Sleep(400 * time.Millisecond) // 0.1 + 0.4 s at 2/s: 1 token
		if x := request(h, "192.0.2.1:1002"); x.Out.Status() != 200 {
			t.Errorf("after the refill: %d", x.Out.Status())
		}
		st := f.Stats()
		if st.Passed != 5 || st.Rejected != 1 || st.Delayed != 1 || st.Clients != 2 {
			t.Errorf("stats %+v", st)
		}
	})
}

// A request delayed while its token comes back passes after the delay.
func TestDelayThenPass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFilter(t, dos.Config{Rate: 10, Burst: 1, Delay: 150 * time.Millisecond})
		h := api.Compose(ok, f)
		request(h, "192.0.2.1:1")
		start := time.Now()
		x := request(h, "192.0.2.1:2")
		if x.Out.Status() != 200 || time.Since(start) != 150*time.Millisecond {
			t.Errorf("%d after %v, want 200 after the delay", x.Out.Status(), time.Since(start))
		}
	})
}

// Negative Delay refuses at once; an allow-listed client is never limited;
// Key names clients otherwise than by address.
func TestOptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFilter(t, dos.Config{Rate: 1, Burst: 1, Delay: -1, AllowList: []string{"10.0.0.0/8", "::1", "::ffff:172.16.0.0/108", "::ffff:198.51.100.7"},
			Key: func(r *api.Request) string { return r.Header().Get("X-Api-Key") }})
		h := api.Compose(ok, f)
		for range 5 {
			if x := request(h, "10.1.2.3:5"); x.Out.Status() != 200 {
				t.Fatalf("allow-listed prefix: %d", x.Out.Status())
			}
			if x := request(h, "[::1]:5"); x.Out.Status() != 200 {
				t.Fatalf("allow-listed address: %d", x.Out.Status())
			}
			// Entries written IPv4-mapped match the IPv4 clients they
			// stand for, whichever way the connection names them.
			for _, addr := range []string{"172.16.9.9:5", "[::ffff:172.16.9.9]:5", "198.51.100.7:5"} {
				if x := request(h, addr); x.Out.Status() != 200 {
					t.Fatalf("allow-listed IPv4-mapped entry, client %s: %d", addr, x.Out.Status())
				}
			}
		}
		request(h, "192.0.2.1:1", "X-Api-Key", "a")
		start := time.Now()
		if x := request(h, "192.0.2.9:1", "X-Api-Key", "a"); x.Out.Status() != 429 || time.Since(start) != 0 {
			t.Errorf("same key from another address: %d after %v, want 429 at once", x.Out.Status(), time.Since(start))
		}
		if x := request(h, "192.0.2.1:1", "X-Api-Key", "b"); x.Out.Status() != 200 {
			t.Errorf("another key: %d", x.Out.Status())
		}
	})
	if _, err := dos.New(dos.Config{AllowList: []string{"not-an-ip"}}); err == nil {
		t.Error("a bad allow-list entry was accepted")
	}
}

// A request is counted when it arrives, not again when the chain's own
// continuation resumes it.
func TestRedispatchNotCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFilter(t, dos.Config{Rate: 1, Burst: 1, Delay: -1})
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			if c.IsInitial() {
				c.SetTimeout(10 * time.Millisecond)
				return c.Suspend()
			}
			_, err := w.WriteString("after the wait")
			return err
		}), f)
		if x := request(h, "192.0.2.1:1"); x.Out.Status() != 200 || x.Out.Body() != "after the wait" {
			t.Errorf("got %d %q", x.Out.Status(), x.Out.Body())
		}
	})
}

// MaxRequestTime ends the chain's request context with ErrMaxRequestTime.
func TestMaxRequestTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFilter(t, dos.Config{MaxRequestTime: 2 * time.Second})
		var cause error
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			<-r.Context().Done()
			cause = context.Cause(r.Context())
			return r.Context().Err()
		}), f)
		start := time.Now()
		request(h, "192.0.2.1:1")
		if !errors.Is(cause, dos.ErrMaxRequestTime) || time.Since(start) != 2*time.Second {
			t.Errorf("cause %v after %v", cause, time.Since(start))
		}
	})
}

// Quiet clients are forgotten: the filter's memory follows active ones.
func TestIdleBucketsForgotten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFilter(t, dos.Config{Rate: 100, Burst: 1, Delay: -1})
		h := api.Compose(ok, f)
		for i := range 3000 {
			request(h, fmt.Sprintf("198.51.%d.%d:1", i/256, i%256))
			time.Sleep(10 * time.Millisecond) // each bucket is full again 10 ms later
		}
		if n := f.Stats().Clients; n > 1100 {
			t.Errorf("%d clients remembered after 3,000 came and went", n)
		}
	})
}

// The buckets a burst of clients left are forgotten once the burst is
// over and they are full again, not kept until the map has doubled.
func TestBurstOfClientsForgotten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFilter(t, dos.Config{Rate: 10, Burst: 1, Delay: -1})
		h := api.Compose(ok, f)
		for i := range 3000 {
			request(h, fmt.Sprintf("198.51.%d.%d:1", i/256, i%256))
		}
		if n := f.Stats().Clients; n != 3000 {
			t.Fatalf("%d clients remembered during the burst, want 3000", n)
		}
		time.Sleep(time.Hour)
		request(h, "192.0.2.1:1")
		if n := f.Stats().Clients; n != 1 {
			t.Errorf("%d clients remembered an hour after the burst, with one client active, want 1", n)
		}
	})
}
