package natskv_test

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A burst of requests of one session that each set a key of their own,
// all loaded before any saves (a page's XHRs over one HTTP/2 connection),
// on two instances: every one is answered 200 and every key is kept,
// however many there are. Each conflict a save meets is another request's
// save that succeeded, so the burst always gets through; where a save gave
// up after 8 rounds, the requests that lost 8 were answered 500 and lost
// their keys.
func TestWriteBurst(t *testing.T) {
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			b := natstest.ForTestJetStream(t)
			barrier := new(atomic.Pointer[sync.WaitGroup])
			ins := []instance{start(t, m, b, barrier), start(t, m, b, barrier)}
			for _, n := range []int{2, 8, 9, 24} {
				jar, err := cookiejar.New(nil)
				if err != nil {
					t.Fatal(err)
				}
				ca, cz := *ins[0].Client, *ins[1].Client
				ca.Jar, cz.Jar = jar, jar
				clients := []*http.Client{&ca, &cz}
				call(t, &ca, "POST", ins[0].URL+"/set", url.Values{"k": {"base"}, "v": {"0"}})
				wg := new(sync.WaitGroup)
				wg.Add(n)
				barrier.Store(wg)
				var done sync.WaitGroup
				for i := range n {
					done.Go(func() {
						body, resp := wharftest.Send(t, clients[i%2], "POST", ins[i%2].URL+"/set", url.Values{"k": {fmt.Sprint("k", i)}, "v": {fmt.Sprint(i)}})
						if resp.StatusCode != 200 {
							t.Errorf("%d writers: writer %d: %s %q", n, i, resp.Status, body)
						}
					})
				}
				done.Wait()
				barrier.Store(nil)
				for i := range n {
					if v := call(t, &ca, "GET", ins[0].URL+"/get/k"+fmt.Sprint(i), nil); v != fmt.Sprint(i) {
						t.Errorf("%d writers: k%d = %q, want %d", n, i, v, i)
					}
				}
			}
		})
	}
}
