package dos_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// On the wire, a refusal is a 429 with Retry-After in whole seconds, at
// least 1 and no more than the wait for the client's next token, and the
// connection stays open for the client's next request, a refused
// request's body read past: the client is throttled, not cut off, and its
// requests in flight on that connection are answered in order.
func TestRefusalOnTheWire(t *testing.T) {
	tests := []struct {
		name  string
		delay time.Duration
	}{
		{"refused at once", -1},
		{"refused after a delay", 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A token every 2 s: the first request takes the only one.
			f := newFilter(t, dos.Config{Rate: 0.5, Burst: 1, Delay: tt.delay})
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			c.Filter("/*", f)
			c.HandleFunc("/", func(w api.Response, r *api.Request) error {
				_, err := w.WriteString("ok")
				return err
			})
			addr := wharftest.Listen(t, c)
			raw := "GET / HTTP/1.1\r\nHost: x\r\n\r\n" +
				"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
				"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
			resps, _, closed := wharftest.RoundTrip(t, addr, raw, 3)
			for i, want := range []int{200, 429, 429} {
				if resps[i].StatusCode != want {
					t.Errorf("response %d: %d, want %d", i+1, resps[i].StatusCode, want)
				}
			}
			for i, resp := range resps[1:] {
				ra := resp.Header.Get("Retry-After")
				if n, err := strconv.Atoi(ra); err != nil || n < 1 || n > 2 {
					t.Errorf("refusal %d: Retry-After %q, want whole seconds from 1 to 2", i+1, ra)
				}
			}
			if closed {
				t.Error("the connection was closed after the refusals, want kept")
			}
		})
	}
}
