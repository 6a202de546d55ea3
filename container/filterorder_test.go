package container_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/qos"
)

// Filters added with FilterFirst wrap those added with Filter, whatever the
// order of the calls and the patterns; each group keeps the order of
// addition; a filter's method and pattern still decide whether it is in
// the chain at all.
func TestFilterFirstOrder(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	named := func(name string) api.Filter {
		return api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			mu.Lock()
			seen = append(seen, name)
			mu.Unlock()
			return next.Next(w, r)
		})
	}
	c := container.New()
	defer c.Close()
	c.HandleFunc("/x", func(w api.Response, r *api.Request) error { return nil })
	c.HandleFunc("/y", func(w api.Response, r *api.Request) error { return nil })
	c.Filter("/x", named("a"))
	c.Filter("/*", named("b"))
	c.FilterFirst("/*", named("c"))
	c.FilterFirst("/x", named("d"))
	c.Filter("/*", named("e"))
	c.FilterFirst("POST /*", named("f"))
	c.Root().FilterFirst("/*", named("g"))
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/x", []string{"c", "d", "g", "a", "b", "e"}},
		{"/y", []string{"c", "g", "b", "e"}},
		{"/none", []string{"c", "g", "b", "e"}}, // a 404 passes the filters too
	} {
		seen = nil
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		mu.Lock()
		got := slices.Clone(seen)
		mu.Unlock()
		if !slices.Equal(got, tc.want) {
			t.Errorf("GET %s ran %v; want %v", tc.path, got, tc.want)
		}
	}
}

func TestFilterFirstAfterStartPanics(t *testing.T) {
	c := container.New()
	defer c.Close()
	if c.Started() {
		t.Fatal("Started before Start")
	}
	c.Start()
	if !c.Started() {
		t.Fatal("not Started after Start")
	}
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "FilterFirst after Start") {
			t.Errorf("recovered %v", p)
		}
	}()
	c.FilterFirst("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error { return next.Next(w, r) }))
}

// Contexts lists every context, the root among them, so that a filter can
// be put on all of them.
func TestContexts(t *testing.T) {
	c := container.New()
	defer c.Close()
	c.Context("/shop")
	c.Context("/admin")
	var paths []string
	for _, x := range c.Contexts() {
		paths = append(paths, x.Path())
	}
	slices.Sort(paths)
	if !slices.Equal(paths, []string{"", "/admin", "/shop"}) {
		t.Errorf("Contexts: %q", paths)
	}
}

// A filter ordered first sees what an inner filter answered without
// calling next: the status when next returns, its own headers on the
// answer; a filter added after the answering one, even for "/*", never
// runs (issue 19, finding 8: the Alt-Svc filter missed QoS's 503s).
func TestFilterFirstSeesInnerAnswer(t *testing.T) {
	c := container.New()
	defer c.Close()
	c.HandleFunc("/admin/panel", func(w api.Response, r *api.Request) error { return nil })
	c.FilterFunc("/admin/*", func(w api.Response, r *api.Request, next api.Chain) error {
		w.Header().Set("WWW-Authenticate", `Basic realm="admin"`)
		return w.SetStatus(http.StatusUnauthorized) // answers; next is not called
	})
	innerRan := false
	c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
		innerRan = true
		return next.Next(w, r)
	})
	var outerSaw int
	c.FilterFirst("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		w.Header().Set("X-Outer", "yes")
		err := next.Next(w, r)
		outerSaw = w.Status()
		return err
	}))
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/panel", nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("X-Outer") != "yes" || outerSaw != http.StatusUnauthorized {
		t.Errorf("answer %d X-Outer %q; the outer filter saw %d", rec.Code, rec.Header().Get("X-Outer"), outerSaw)
	}
	if innerRan {
		t.Error("a filter inside the answering one ran")
	}
}

// QoS's 503, answered by its timeout listener after the chain returned,
// carries the headers of a filter ordered first, and that filter records
// it at completion; a "/*" filter added after QoS never runs for it.
func TestFilterFirstAroundQoS503(t *testing.T) {
	c := container.New()
	defer c.Close()
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		started <- struct{}{}
		<-release
		return nil
	})
	c.Filter("/slow", qos.New(qos.Config{MaxRequests: 1, MaxWait: 50 * time.Millisecond}))
	c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
		w.Header().Set("X-Inner", "yes")
		return next.Next(w, r)
	})
	completed := make(chan int, 2)
	c.FilterFirst("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		if cont := continuation.Of(r); cont.IsInitial() {
			w.Header().Set("X-Outer", "yes")
			cont.AddListener(continuation.Listener{OnComplete: func(r *api.Request, _ error) {
				res, _ := async.ResultOf(r)
				completed <- res.Status
			}})
		}
		return next.Next(w, r)
	}))

	first := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", "/slow", nil))
		first <- rec
	}()
	<-started
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/slow", nil)) // waits 50 ms, then 503
	close(release)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("X-Outer") != "yes" || rec.Header().Get("X-Inner") != "" {
		t.Errorf("second: %d X-Outer %q X-Inner %q; want 503, yes, none", rec.Code, rec.Header().Get("X-Outer"), rec.Header().Get("X-Inner"))
	}
	if r1 := <-first; r1.Code != http.StatusOK || r1.Header().Get("X-Outer") != "yes" || r1.Header().Get("X-Inner") != "yes" {
		t.Errorf("first: %d X-Outer %q X-Inner %q", r1.Code, r1.Header().Get("X-Outer"), r1.Header().Get("X-Inner"))
	}
	var got []int
	for range 2 {
		select {
		case s := <-completed:
			got = append(got, s)
		case <-time.After(5 * time.Second):
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, []int{http.StatusOK, http.StatusServiceUnavailable}) {
		t.Errorf("the outer filter recorded %v at completion; want 200 and 503", got)
	}
}
