package container

import (
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"testing"
)

// mapID tells header maps apart by identity.
func mapID(h http.Header) uintptr { return reflect.ValueOf(h).Pointer() }

// The container shares one map a type for the heads of responses that set
// only their type, up to maxTyped types; past them each head gets a map
// of its own. Every map says its type and nothing else, whoever asks
// first and however many ask at once.
func TestTypedHeaders(t *testing.T) {
	var b outBufs
	types := func(i int) string { return "application/x-t" + strconv.Itoa(i) }
	var wg sync.WaitGroup
	for g := range 8 { // all asking at once, in different orders
		wg.Go(func() {
			for i := range maxTyped + 4 {
				v := types((i + g) % (maxTyped + 4))
				if h := b.typed(v); len(h) != 1 || len(h["Content-Type"]) != 1 || h["Content-Type"][0] != v {
					t.Errorf("typed(%q) = %v", v, h)
				}
			}
		})
	}
	wg.Wait()
	shared := 0
	for i := range maxTyped + 4 {
		v := types(i)
		first := b.typed(v)
		if mapID(first) == mapID(b.typed(v)) {
			shared++
		}
	}
	if shared != maxTyped {
		t.Errorf("%d types share their map, want %d", shared, maxTyped)
	}
	if a, c := b.typed(types(0)), b.typed(types(1)); mapID(a) == mapID(c) {
		t.Error("two types share one map")
	}
}

// An output that set only its type hands the stream a shared map but keeps
// none: its Header makes a map of its own, so a handler's change never
// reaches the map other responses' heads are written from.
func TestSetContentTypeKeepsNoSharedMap(t *testing.T) {
	bufs := &outBufs{size: 16}
	s := &headStream{}
	s.head.Method = http.MethodGet
	var o output
	o.init(s, bufs)
	o.SetContentType("text/plain")
	if o.header != nil {
		t.Fatal("SetContentType made a header map")
	}
	if err := o.commit(0); err != nil {
		t.Fatal(err)
	}
	if got := s.sent.Get("Content-Type"); got != "text/plain" {
		t.Errorf("sent Content-Type %q", got)
	}
	o.Header().Set("X-Late", "1") // ignored after commit, as in net/http
	if h := bufs.typed("text/plain"); len(h) != 1 {
		t.Errorf("the shared map changed: %v", h)
	}
	if o.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("Header after commit: %v", o.Header())
	}
}
