package qos_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A long poll keeps its continuation where two event sources find it.
// The first one's Resume wakes it, and its re-dispatch waits in the
// filter, full meanwhile; then the second one's Resume, meant for the
// poll's suspension, which is over, lands on that wait (a Resume is for
// the request's current suspension, and the continuation takes it). The
// dispatch it brings holds no permit: the request waits on, once, in its
// place and with what is left of its MaxWait, and the chain never sees
// that dispatch. It was queued a second time, as a new wait: the ghost
// counted as waiting; the wait expired a full MaxWait after the second
// Resume, and the request was refused twice, the second time in place,
// past the error pages; and when the poll, let in, suspended once more,
// the ghost's permit resumed that suspension, dispatching the poll for
// a Resume that was not its own.
func TestStaleResumeWhileWaiting(t *testing.T) {
	const maxWait = 2 * time.Second
	tests := []struct {
		name   string
		letIn  bool // the holder leaves before the wait expires
		again  bool // the poll's resumed pass polls again, for 30 s, while another request waits behind it
		status int
		body   string
		passes []string // the poll's passes through the chain: kind and event
		stats  qos.Stats
	}{
		{name: "let in", letIn: true, status: 200, body: "resumed a", passes: []string{"initial", "resumed a"},
			stats: qos.Stats{Max: 1, Admitted: 3}},
		{name: "wait expires", status: 503, body: "503 Service Unavailable\n", passes: []string{"initial"},
			stats: qos.Stats{Max: 1, Admitted: 2, Rejected: 1}},
		{name: "let in, polls again", letIn: true, again: true, status: 200, body: "expired",
			passes: []string{"initial", "resumed a", "expired"}, stats: qos.Stats{Max: 1, Admitted: 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := qos.New(qos.Config{MaxRequests: 1, MaxWait: maxWait})
				polls := make(chan continuation.Continuation, 1)
				release := make(chan struct{})
				var (
					mu     sync.Mutex
					passes []string
				)
				c := container.New(container.WithLogger(wharftest.DiscardLogger()))
				c.Filter("/*", f)
				c.HandleFunc("/hold", func(w api.Response, r *api.Request) error {
					<-release
					_, err := w.WriteString("held")
					return err
				})
				c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
					cont := continuation.Of(r)
					ev, _ := r.Attribute(wharftest.EventKey{}).(string)
					mu.Lock()
					passes = append(passes, strings.TrimSpace(async.KindOf(r).String()+" "+ev))
					mu.Unlock()
					if tc.again && cont.IsResumed() {
						cont.SetTimeout(30 * time.Second)
						return cont.Suspend()
					}
					if err := wharftest.LongPoll.Serve(w, r); err != nil || !cont.IsInitial() {
						return err
					}
					polls <- cont // suspended: a Resume from now on wakes it
					return nil
				})
				l, stop := servePipes(t, c)
				defer stop()
				var freeOnce sync.Once
				free := func() { freeOnce.Do(func() { close(release) }) }
				defer free() // before stop, should the test end early

				poll := get(l, "/poll")
				cont := <-polls
				synctest.Wait() // the poll is suspended, its permit back
				holder := get(l, "/hold")
				synctest.Wait()
				if err := cont.Resume(api.Attr{Key: wharftest.EventKey{}, Value: "a"}); err != nil {
					t.Fatal(err)
				}
				begin := time.Now()
				synctest.Wait() // its re-dispatch waits for the holder's permit
				var behind <-chan answer
				waiting := 1
				if tc.again {
					behind = get(l, "/hold")
					synctest.Wait()
					waiting++
				}
				time.Sleep(maxWait / 2)
				if err := cont.Resume(api.Attr{Key: wharftest.EventKey{}, Value: "b"}); err != nil {
					t.Fatalf("the second Resume: %v, want it taken: the request is suspended, waiting", err)
				}
				synctest.Wait()
				if st := f.Stats(); st.Active != 1 || st.Waiting != waiting {
					t.Errorf("after the second Resume: stats %+v, want active 1 waiting %d", st, waiting)
				}
				if tc.letIn {
					release <- struct{}{}
					if a := <-holder; a.status != 200 {
						t.Errorf("holder: %+v", a)
					}
				}
				if tc.again {
					// The poll, let in, polls again; the request behind
					// it takes the place, and leaves before the poll
					// expires, whose expired pass then finds a place.
					synctest.Wait()
					release <- struct{}{}
					if a := <-behind; a.status != 200 {
						t.Errorf("the request behind: %+v", a)
					}
				}
				a := <-poll
				mu.Lock()
				seen := slices.Clone(passes)
				mu.Unlock()
				if a.err != nil || a.status != tc.status || a.body != tc.body || !slices.Equal(seen, tc.passes) {
					t.Errorf("poll: %d %q (%v), its passes %q; want %d %q, passes %q",
						a.status, a.body, a.err, seen, tc.status, tc.body, tc.passes)
				}
				if !tc.letIn {
					if d := time.Since(begin); d < maxWait || d > maxWait+10*time.Millisecond {
						t.Errorf("refused %v after its wait began, want MaxWait", d)
					}
					if a.retryAfter != "2" {
						t.Errorf("Retry-After %q", a.retryAfter)
					}
				}
				free()
				if !tc.letIn {
					<-holder
				}
				if st := f.Stats(); st != tc.stats {
					t.Errorf("stats %+v, want %+v", st, tc.stats)
				}
			})
		})
	}
}

// answer is what get read.
type answer struct {
	status     int
	retryAfter string
	body       string
	err        error
}

// get sends a GET of target on a new connection of l and reads its answer
// on a goroutine of its own; the channel has it.
func get(l *wharftest.PipeListener, target string) <-chan answer {
	ch := make(chan answer, 1)
	go func() {
		var a answer
		defer func() { ch <- a }()
		nc, err := l.Dial(context.Background(), "", "")
		if err != nil {
			a.err = err
			return
		}
		defer nc.Close()
		if _, a.err = io.WriteString(nc, "GET "+target+" HTTP/1.1\r\nHost: pipe\r\nConnection: close\r\n\r\n"); a.err != nil {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			a.err = err
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		a.status, a.retryAfter, a.body, a.err = resp.StatusCode, resp.Header.Get("Retry-After"), string(body), err
	}()
	return ch
}

// servePipes serves c on in-memory pipes (inside a synctest bubble); stop
// shuts it down and waits for Serve to return.
func servePipes(t *testing.T, c *container.Container) (l *wharftest.PipeListener, stop func()) {
	l = wharftest.NewPipeListener()
	served := make(chan struct{})
	go func() { defer close(served); c.Serve(l) }()
	return l, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-served
	}
}
