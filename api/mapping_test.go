package api_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/wharf-go/wharf/api"
)

// A Request reports the Mapping it was given, whether it came from a
// Route (and shares it) or was made by hand (and then equals it, as a
// value), and a Mapping from a Route changed afterwards keeps its changes.
func TestRequestMapping(t *testing.T) {
	rt := api.NewRoute("/shop", "/items/{id}", api.MatchExact)
	changed := rt.Map("/items/7", "", []api.Param{{Name: "id", Value: "7"}})
	changed.Pattern, changed.Kind = "/other", api.MatchPrefix
	tests := []struct {
		name string
		m    api.Mapping
	}{
		{"zero", api.Mapping{}},
		{"from a route", rt.Map("/items/7", "", []api.Param{{Name: "id", Value: "7"}})},
		{"by hand", api.Mapping{ContextPath: "/ctx", Pattern: "/a/*", Kind: api.MatchPrefix, ServletPath: "/a", PathInfo: "/b"}},
		{"by hand, root context", api.Mapping{Pattern: "*.json", Kind: api.MatchExtension, ServletPath: "/x.json"}},
		{"from a route, changed", changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := &api.RequestHead{Method: "GET", Path: tt.m.ContextPath + tt.m.ServletPath + tt.m.PathInfo}
			for _, r := range []*api.Request{
				api.NewMappedRequest(context.Background(), head, tt.m, nil),
				api.NewRequest(context.Background(), head, nil).WithMapping(tt.m),
			} {
				got := r.Mapping()
				if got.ContextPath != tt.m.ContextPath || got.Pattern != tt.m.Pattern || got.Kind != tt.m.Kind ||
					got.ServletPath != tt.m.ServletPath || got.PathInfo != tt.m.PathInfo || len(got.Params) != len(tt.m.Params) {
					t.Fatalf("Mapping() = %+v, want %+v", got, tt.m)
				}
				if want := (api.Mapping{ContextPath: tt.m.ContextPath, Pattern: tt.m.Pattern, Kind: tt.m.Kind,
					ServletPath: tt.m.ServletPath, PathInfo: tt.m.PathInfo, Params: tt.m.Params}); !reflect.DeepEqual(got, want) {
					t.Fatalf("Mapping() = %+v, not equal to the same Mapping made by hand", got)
				}
				if r.ContextPath() != tt.m.ContextPath || r.PathInContext() != tt.m.ServletPath+tt.m.PathInfo {
					t.Fatalf("ContextPath %q, PathInContext %q", r.ContextPath(), r.PathInContext())
				}
				for _, p := range tt.m.Params {
					if r.PathParam(p.Name) != p.Value {
						t.Fatalf("PathParam(%q) = %q, want %q", p.Name, r.PathParam(p.Name), p.Value)
					}
				}
			}
		})
	}
}

// A request mapped through a Route keeps a pointer to it: mapping costs
// nothing beyond the Request itself.
func TestRouteMapAllocs(t *testing.T) {
	rt := api.NewRoute("/shop", "/items/*", api.MatchPrefix)
	head := &api.RequestHead{Method: "GET", Path: "/shop/items/7"}
	base := api.NewRequest(context.Background(), head, nil)
	r := base.WithMapping(rt.Map("/items", "/7", nil))
	if n := testing.AllocsPerRun(100, func() {
		r = base.WithMapping(rt.Map("/items", "/7", nil))
	}); n != 1 {
		t.Errorf("WithMapping of a Route's Mapping: %v allocations, want 1 (the copy of the Request)", n)
	}
	if r.Mapping().Pattern != "/items/*" {
		t.Fatalf("pattern %q", r.Mapping().Pattern)
	}
	// A Mapping taken from the request and given other parameters (as a
	// container renames them per method) still shares its Route.
	// (r has no parameters: Mapping copies those it has.)
	params := []api.Param{{Name: "id", Value: "7"}}
	r0 := r
	if n := testing.AllocsPerRun(100, func() {
		m := r0.Mapping()
		m.Params = params
		r = r0.WithMapping(m)
	}); n != 1 {
		t.Errorf("WithMapping of its own Mapping with other parameters: %v allocations, want 1", n)
	}
}

// A Mapping taken from a Request and changed, to derive another Request,
// leaves the Request alone: other goroutines may be reading it.
func TestMappingParamsNotShared(t *testing.T) {
	head := &api.RequestHead{Method: "GET", Target: "/u/1", Path: "/u/1"}
	m := api.NewRoute("", "/u/{id}", api.MatchExact).Map("/u/1", "", []api.Param{{Name: "id", Value: "1"}})
	r := api.NewMappedRequest(context.Background(), head, m, nil)
	got := r.Mapping()
	got.Params[0].Value = "2"
	r2 := r.WithMapping(got)
	if r.PathParam("id") != "1" || r2.PathParam("id") != "2" {
		t.Errorf("after changing a copy of its Mapping: r id=%q, derived id=%q; want 1, 2", r.PathParam("id"), r2.PathParam("id"))
	}
}
