package api_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"weak"

	"github.com/wharf-go/wharf/api"
)

type key string

func newRequest() *api.Request {
	h := http.Header{"Accept": {"text/plain"}, "X-Multi": {"a", "b"}}
	return api.NewRequest(context.Background(), &api.RequestHead{
		Method: "GET", Target: "/a/b?x=1&y=2", Path: "/a/b", RawQuery: "x=1&y=2",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Host: "example.com",
		Header: api.NewHeader(h), Conn: &api.ConnInfo{RemoteAddr: "127.0.0.1:1", LocalAddr: "127.0.0.1:2"},
	}, nil)
}

func TestDerivationsLeaveReceiverUnchanged(t *testing.T) {
	r := newRequest().WithAttribute(key("a"), 1)
	ctx := context.WithValue(context.Background(), key("ctx"), "v")
	tests := []struct {
		name   string
		derive func(*api.Request) *api.Request
		check  func(t *testing.T, d *api.Request)
	}{
		{"Detach", func(r *api.Request) *api.Request { return r.Detach(ctx) },
			func(t *testing.T, d *api.Request) {
				if d.Context().Value(key("ctx")) != "v" || d.Attribute(key("a")) != 1 || d.QueryValue("y") != "2" ||
					d.Header().Get("Accept") != "text/plain" || d.Exchange() != nil || d.Body() != http.NoBody {
					t.Errorf("detached: ctx %v, attribute %v, query %q, Accept %q, exchange %v, body %v",
						d.Context().Value(key("ctx")), d.Attribute(key("a")), d.QueryValue("y"), d.Header().Get("Accept"), d.Exchange(), d.Body())
				}
			}},
		{"WithContext", func(r *api.Request) *api.Request { return r.WithContext(ctx) },
			func(t *testing.T, d *api.Request) {
				if d.Context().Value(key("ctx")) != "v" {
					t.Error("context not replaced")
				}
			}},
		{"WithAttribute", func(r *api.Request) *api.Request { return r.WithAttribute(key("a"), 2) },
			func(t *testing.T, d *api.Request) {
				if d.Attribute(key("a")) != 2 {
					t.Error("attribute not shadowed")
				}
			}},
		{"WithAttributes", func(r *api.Request) *api.Request {
			return r.WithAttributes(api.Attr{Key: key("b"), Value: 3}, api.Attr{Key: key("c"), Value: 4})
		},
			func(t *testing.T, d *api.Request) {
				if d.Attribute(key("b")) != 3 || d.Attribute(key("c")) != 4 || d.Attribute(key("a")) != 1 {
					t.Error("attributes wrong")
				}
			}},
		{"WithMapping", func(r *api.Request) *api.Request {
			return r.WithMapping(api.Mapping{Pattern: "/a/*", ServletPath: "/a", PathInfo: "/b", Kind: api.MatchPrefix})
		},
			func(t *testing.T, d *api.Request) {
				if d.PathInContext() != "/a/b" || d.Mapping().Kind != api.MatchPrefix {
					t.Error("mapping not set")
				}
			}},
		{"WithHeader", func(r *api.Request) *api.Request { return r.WithHeader(r.Header().With("Accept", "text/html")) },
			func(t *testing.T, d *api.Request) {
				if d.Header().Get("accept") != "text/html" {
					t.Error("header not replaced")
				}
			}},
		{"WithHeader without", func(r *api.Request) *api.Request { return r.WithHeader(r.Header().Without("X-Multi")) },
			func(t *testing.T, d *api.Request) {
				if d.Header().Has("X-Multi") {
					t.Error("header not removed")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.derive(r)
			tt.check(t, d)
			// The receiver is as it was.
			if r.Attribute(key("a")) != 1 || r.Attribute(key("b")) != nil || r.Context().Value(key("ctx")) != nil ||
				r.Header().Get("Accept") != "text/plain" || !r.Header().Has("X-Multi") || r.Mapping().Pattern != "" {
				t.Fatal("receiver changed")
			}
		})
	}
}

func TestHeaderIsReadOnly(t *testing.T) {
	r := newRequest()
	vs := r.Header().Values("x-multi")
	vs[0] = "changed"
	if r.Header().Get("X-Multi") != "a" {
		t.Fatal("Values exposed internal storage")
	}
	c := r.Header().Clone()
	c.Set("Accept", "x")
	if r.Header().Get("Accept") != "text/plain" {
		t.Fatal("Clone shares storage")
	}
	n := 0
	for range r.Header().All() {
		n++
	}
	if n != 3 {
		t.Fatalf("All yielded %d pairs, want 3", n)
	}
}

// The trailers a Head's Trailer returns are the caller's: the connector's
// map behind them is every Request's of the exchange, read (Trailer,
// ToHTTPRequest) from any goroutine without a lock, so a filter that
// edits what it got must reach neither them nor a later Head.
func TestHeadTrailerIsACopy(t *testing.T) {
	connector := http.Header{"X-Sum": {"abc"}}
	r := api.NewRequest(context.Background(), &api.RequestHead{
		Method: "POST", Target: "/", Path: "/", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		ContentLength: -1, Trailer: func() http.Header { return connector },
	}, nil)
	head := r.Head()
	tr := head.Trailer()
	tr.Set("X-Forged", "1")
	tr["X-Sum"][0] = "forged"
	derived := r.WithHead(&head)
	derived.Head().Trailer().Set("X-Sum", "forged")
	for name, got := range map[string]http.Header{
		"the connector's map": connector,
		"Request.Trailer":     r.Trailer().Clone(),
		"a later Head":        r.Head().Trailer(),
		"a derived Request":   derived.Trailer().Clone(),
	} {
		if got.Get("X-Sum") != "abc" || got.Get("X-Forged") != "" {
			t.Errorf("%s: %v after a filter edited its Head's trailers; want X-Sum: abc alone", name, got)
		}
	}
}

// Deriving a request with attributes costs one allocation for the copy
// and one for all the new attributes together; with one attribute (a
// re-dispatch's kind, a filter's value) the two are one.
func TestAttributeAllocs(t *testing.T) {
	r := newRequest().WithAttribute(key("a"), 1)
	for _, tt := range []struct {
		name   string
		derive func() *api.Request
		want   float64
	}{
		{"WithAttribute", func() *api.Request { return r.WithAttribute(key("b"), true) }, 1},
		{"WithAttributes", func() *api.Request {
			return r.WithAttributes(api.Attr{Key: key("b"), Value: true}, api.Attr{Key: key("c"), Value: false})
		}, 2},
	} {
		var d *api.Request
		if n := testing.AllocsPerRun(100, func() { d = tt.derive() }); n != tt.want {
			t.Errorf("%s: %v allocations, want %v", tt.name, n, tt.want)
		}
		if v, ok := d.Attribute(key("b")).(bool); !ok || !v || d.Attribute(key("a")) != 1 {
			t.Errorf("%s: attributes b=%v a=%v", tt.name, d.Attribute(key("b")), d.Attribute(key("a")))
		}
	}
}

func TestAttributesNewestFirstOnce(t *testing.T) {
	r := newRequest().WithAttribute(key("a"), 1).WithAttribute(key("b"), 2).WithAttribute(key("a"), 3)
	var got []any
	for k, v := range r.Attributes() {
		got = append(got, k, v)
	}
	if len(got) != 4 || got[0] != key("a") || got[1] != 3 || got[2] != key("b") || got[3] != 2 {
		t.Fatalf("attributes = %v", got)
	}
}

func TestQuery(t *testing.T) {
	r := newRequest()
	if r.QueryValue("y") != "2" {
		t.Fatal("query")
	}
	q := r.Query()
	q.Set("y", "9")
	if r.QueryValue("y") != "2" {
		t.Fatal("Query exposed shared state")
	}
}

// Many goroutines read and derive from one Request at once: -race proves
// there is nothing to race on.
func TestConcurrentReads(t *testing.T) {
	r := newRequest()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				d := r.WithAttribute(key("k"), i*1000+j)
				if d.Attribute(key("k")) != i*1000+j || r.Attribute(key("k")) != nil {
					t.Error("derivation leaked")
					return
				}
				_ = r.Header().Get("Accept") + r.Path() + r.QueryValue("x")
			}
		}()
	}
	wg.Wait()
}

// QueryValue answers as url.ParseQuery(q).Get(key) does.
func TestQueryValueMatchesParseQuery(t *testing.T) {
	queries := []string{
		"", "a=1", "a=1&a=2", "b=2&a=1", "a", "a=", "=1", "a=1;b=2&a=3", "a=%zz&a=2",
		"a%3D=x", "a+b=c+d", "a%20b=%41", "&&a=1&&", "x=%&a=ok", "a=%41%42", "a=1=2",
		// More pairs than url.ParseQuery takes (10,000): it parses none.
		strings.Repeat("x&", 10000) + "a=1", strings.Repeat("&", 9999) + "a=1",
	}
	keys := []string{"a", "b", "a b", "a=", "", "x"}
	for _, q := range queries {
		vals, _ := url.ParseQuery(q)
		r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/", RawQuery: q}, nil)
		for _, k := range keys {
			if got, want := r.QueryValue(k), vals.Get(k); got != want {
				t.Errorf("QueryValue(%q) of %.80q = %q, ParseQuery says %q", k, q, got, want)
			}
		}
	}
}

// Under a limit on pairs of GODEBUG's (urlmaxqueryparams) from a hundred
// up, QueryValue still agrees with ParseQuery around it: that limit is
// exclusive, so a query of exactly that many pairs is refused whole.
func TestQueryValueGODEBUGLimit(t *testing.T) {
	for _, limit := range []int{100, 101, 150} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			t.Setenv("GODEBUG", "urlmaxqueryparams="+strconv.Itoa(limit))
			for _, pairs := range []int{limit - 2, limit - 1, limit, limit + 1} {
				q := strings.Repeat("x=1&", pairs-1) + "a=1"
				vals, _ := url.ParseQuery(q)
				r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/", RawQuery: q}, nil)
				if got, want := r.QueryValue("a"), vals.Get("a"); got != want {
					t.Errorf("%d pairs: QueryValue = %q, ParseQuery says %q", pairs, got, want)
				}
			}
		})
	}
}

func FuzzQueryValue(f *testing.F) {
	f.Add("a=1&b=%41+x", "b")
	f.Add("a;b=1&a=2", "a")
	f.Fuzz(func(t *testing.T, q, key string) {
		vals, _ := url.ParseQuery(q)
		r := api.NewRequest(context.Background(), &api.RequestHead{RawQuery: q}, nil)
		if got, want := r.QueryValue(key), vals.Get(key); got != want {
			t.Fatalf("QueryValue(%q) of %q = %q, ParseQuery says %q", key, q, got, want)
		}
	})
}

// exchangeStub is an api.Exchange whose reachability a test watches.
type exchangeStub struct {
	r *api.Request
}

func (x *exchangeStub) Request() *api.Request { return x.r }

// A detached request keeps its attributes but nothing of the exchange,
// however its attributes were set: a node WithAttribute made lives inside
// the derived request, which holds the exchange, so Detach copies them.
func TestDetachKeepsAttributesNotExchange(t *testing.T) {
	x := &exchangeStub{}
	gone := weak.Make(x)
	r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/"}, x)
	x.r = r
	d := r.WithAttribute(key("a"), 1).WithAttributes(api.Attr{Key: key("b"), Value: 2}).
		WithAttribute(key("a"), 3).Detach(context.Background())
	x, r = nil, nil
	runtime.GC()
	if gone.Value() != nil {
		t.Error("the detached request keeps the exchange reachable")
	}
	var got []any
	for k, v := range d.Attributes() {
		got = append(got, k, v)
	}
	if want := []any{key("a"), 3, key("b"), 2}; !slices.Equal(got, want) {
		t.Errorf("detached attributes = %v, want %v", got, want)
	}
	if d.Exchange() != nil {
		t.Error("the detached request has an Exchange")
	}
}

// lazyAttr stands for a lookup that holds its request, as auth's
// FormLogin attaches one.
type lazyAttr struct {
	r     *api.Request
	calls *int
}

func (l lazyAttr) DetachAttr() any {
	*l.calls++
	return "resolved " + l.r.Path()
}

// An AttrDetacher is resolved by Detach, once, and only where its key is
// not hidden by a newer value; the detached copy keeps neither it nor the
// request it held.
func TestDetachResolvesAttrDetacher(t *testing.T) {
	tests := []struct {
		name      string
		derive    func(r *api.Request, l lazyAttr) *api.Request
		want      []any
		wantCalls int
	}{
		{"newest", func(r *api.Request, l lazyAttr) *api.Request {
			return r.WithAttribute(key("u"), "outer").WithAttribute(key("u"), l).WithAttribute(key("b"), 2)
		}, []any{key("b"), 2, key("u"), "resolved /p"}, 1},
		{"hidden by a newer value", func(r *api.Request, l lazyAttr) *api.Request {
			return r.WithAttribute(key("u"), l).WithAttribute(key("u"), "inner")
		}, []any{key("u"), "inner"}, 0},
		{"through WithAttributes", func(r *api.Request, l lazyAttr) *api.Request {
			return r.WithAttributes(api.Attr{Key: key("a"), Value: 1}, api.Attr{Key: key("u"), Value: l})
		}, []any{key("u"), "resolved /p", key("a"), 1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			head := &api.RequestHead{Method: "GET", Path: "/p"}
			gone := weak.Make(head)
			calls := 0
			r := api.NewRequest(context.Background(), head, nil)
			d := tc.derive(r, lazyAttr{r: r, calls: &calls}).Detach(context.Background())
			head, r = nil, nil
			runtime.GC()
			if gone.Value() != nil {
				t.Error("the detached request keeps the original request reachable")
			}
			if calls != tc.wantCalls {
				t.Errorf("DetachAttr called %d times, want %d", calls, tc.wantCalls)
			}
			var got []any
			for k, v := range d.Attributes() {
				got = append(got, k, v)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("detached attributes = %v, want %v", got, tc.want)
			}
		})
	}
}

// A detached request has no body, so no body form: Form is its query,
// PostForm empty. Given a body (WithBody), a copy parses that body, once,
// as a request with an exchange does.
func TestDetachedForm(t *testing.T) {
	head := &api.RequestHead{
		Method: "POST", Target: "/f?q=1", Path: "/f", RawQuery: "q=1", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: api.NewHeader(http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}),
		Body:   io.NopCloser(strings.NewReader("a=1")),
	}
	d := api.NewRequest(context.Background(), head, nil).Detach(context.Background())
	form, err := d.Form()
	if err != nil || len(form) != 1 || form.Get("q") != "1" {
		t.Errorf("detached Form = %v, %v; want the query alone", form, err)
	}
	if post, err := d.PostForm(); err != nil || post == nil || len(post) != 0 {
		t.Errorf("detached PostForm = %#v, %v; want an empty map", post, err)
	}
	b := d.WithBody(io.NopCloser(strings.NewReader("a=2&b=3")))
	for range 2 { // parsed once, seen by every call
		form, err = b.Form()
		if err != nil || form.Get("a") != "2" || form.Get("b") != "3" || form.Get("q") != "1" {
			t.Errorf("with a body: Form = %v, %v", form, err)
		}
	}
	if d.FormValue("a") != "" {
		t.Error("the detached request sees its copy's body")
	}
}

// A request's connection facts are its ConnInfo's, which every request of
// the connection and every derivation shares; a head without one (made by
// hand) reads as no addresses and cleartext.
func TestConnInfo(t *testing.T) {
	state := &tls.ConnectionState{Version: tls.VersionTLS13}
	info := &api.ConnInfo{RemoteAddr: "192.0.2.1:1234", LocalAddr: "192.0.2.2:443", TLS: state}
	shared := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/", Conn: info}, nil)
	bare := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/"}, nil)
	tests := []struct {
		name          string
		r             *api.Request
		remote, local string
		tls           *tls.ConnectionState
	}{
		{"shared", shared, "192.0.2.1:1234", "192.0.2.2:443", state},
		{"derived", shared.WithAttribute(key("a"), 1).WithHeader(api.Header{}), "192.0.2.1:1234", "192.0.2.2:443", state},
		{"detached", shared.Detach(context.Background()), "192.0.2.1:1234", "192.0.2.2:443", state},
		{"none", bare, "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, got2, got3 := tc.r.RemoteAddr(), tc.r.LocalAddr(), tc.r.TLS(); got != tc.remote || got2 != tc.local || got3 != tc.tls {
				t.Errorf("RemoteAddr %q, LocalAddr %q, TLS %p; want %q, %q, %p", got, got2, got3, tc.remote, tc.local, tc.tls)
			}
		})
	}
}

// Scheme is what ConnInfo.Scheme says (a trusted proxy's word), else the
// connection's: https with TLS state, http without or with no ConnInfo.
func TestScheme(t *testing.T) {
	state := &tls.ConnectionState{Version: tls.VersionTLS13}
	tests := []struct {
		name string
		conn *api.ConnInfo
		want string
	}{
		{"no conn", nil, "http"},
		{"cleartext", &api.ConnInfo{}, "http"},
		{"tls", &api.ConnInfo{TLS: state}, "https"},
		{"proxy said https", &api.ConnInfo{Scheme: api.SchemeHTTPS}, "https"},
		{"proxy said http over tls", &api.ConnInfo{TLS: state, Scheme: api.SchemeHTTP}, "http"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/", Conn: tc.conn}, nil)
			if got := r.Scheme(); got != tc.want {
				t.Errorf("Scheme() = %q, want %q", got, tc.want)
			}
		})
	}
}
