package api_test

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
)

type hijackable struct{ *wharftest.Recorder }

func (hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("called")
}

type wrapper struct{ api.ResponseWrapper }

func TestCapabilitiesThroughWrappers(t *testing.T) {
	base := hijackable{wharftest.NewRecorder()}
	var w api.Response = wrapper{api.ResponseWrapper{Response: wrapper{api.ResponseWrapper{Response: base}}}}
	if _, ok := w.(api.Hijacker); ok {
		t.Fatal("the wrapper itself should not implement Hijacker for this test")
	}
	if _, _, err := api.Hijack(w); err == nil || err.Error() != "called" {
		t.Fatalf("Hijack through two wrappers: %v", err)
	}
	if _, _, err := api.Hijack(wharftest.NewRecorder()); !errors.Is(err, api.ErrNotSupported) {
		t.Fatalf("Hijack without capability: %v", err)
	}
}

func TestCompose(t *testing.T) {
	var order []string
	f := func(name string) api.Filter {
		return api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			order = append(order, name)
			return next.Next(w, r.WithAttribute(key(name), true))
		})
	}
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		if r.Attribute(key("a")) != true || r.Attribute(key("b")) != true {
			t.Error("filters' derived request did not reach the handler")
		}
		order = append(order, "h")
		return nil
	}), f("a"), f("b"))
	if err := h.Serve(wharftest.NewRecorder(), newRequest()); err != nil {
		t.Fatal(err)
	}
	if len(order) != 3 || order[0] != "a" || order[1] != "b" || order[2] != "h" {
		t.Fatalf("order = %v", order)
	}
}

// headerOwner is a wrapper with header fields of its own, as a buffering
// filter's is.
type headerOwner struct {
	api.ResponseWrapper
	h http.Header
}

func (o headerOwner) Header() http.Header { return o.h }

// SetContentType gives the type to a Response that holds it alone, and
// otherwise sets it in the header map of the Response it was given: a
// wrapper's, not the one under it.
func TestSetContentType(t *testing.T) {
	holder := wharftest.NewTypeHolder()
	api.SetContentType(holder, "text/plain")
	if holder.Held() != "text/plain" || len(holder.Recorder.Header()) != 0 {
		t.Errorf("holder: holds %q, header %v", holder.Held(), holder.Recorder.Header())
	}

	rec := wharftest.NewRecorder()
	api.SetContentType(rec, "application/json")
	if got := rec.Header()["Content-Type"]; len(got) != 1 || got[0] != "application/json" {
		t.Errorf("recorder: %v", rec.Header())
	}

	under := wharftest.NewTypeHolder()
	w := headerOwner{api.ResponseWrapper{Response: under}, http.Header{}}
	api.SetContentType(w, "text/html")
	if w.h.Get("Content-Type") != "text/html" || under.Held() != "" {
		t.Errorf("wrapper: its header %v, the holder under it %q", w.h, under.Held())
	}
}
