package api_test

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/wharf-go/wharf/api"
)

const urlencoded = "application/x-www-form-urlencoded"

// countingBody counts the bytes read from it, and fails the test if it is
// read when it must not be.
type countingBody struct {
	r      io.Reader
	reads  atomic.Int64
	noRead *testing.T // non-nil: any read fails the test
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.noRead != nil {
		b.noRead.Error("body read")
	}
	b.reads.Add(1)
	return b.r.Read(p)
}

func (b *countingBody) Close() error { return nil }

func formRequest(method, ct, query string, body io.Reader, contentLength, maxBytes int64) *api.Request {
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	target := "/f"
	if query != "" {
		target += "?" + query
	}
	return api.NewRequest(context.Background(), &api.RequestHead{
		Method: method, Target: target, Path: "/f", RawQuery: query,
		Header: api.NewHeader(h), ContentLength: contentLength, MaxFormBytes: maxBytes,
		Body: io.NopCloser(body),
	}, nil)
}

func TestForm(t *testing.T) {
	readErr := errors.New("connection reset")
	tests := []struct {
		name         string
		method, ct   string
		query, body  string
		readErr      error // returned after body
		cl           int64 // Content-Length; 0 means len(body)
		max          int64 // MaxFormBytes
		noRead       bool  // the body must not be read
		form, post   url.Values
		status       int // api.StatusOf the error
		netHTTPDiffs bool
	}{
		{name: "GET query", method: "GET", query: "a=1&b=2&a=3",
			form: url.Values{"a": {"1", "3"}, "b": {"2"}}, post: url.Values{}, status: 200},
		{name: "POST body then query", method: "POST", ct: urlencoded, query: "a=q1&b=q", body: "a=b1&c=b&a=b2",
			form: url.Values{"a": {"b1", "b2", "q1"}, "b": {"q"}, "c": {"b"}}, post: url.Values{"a": {"b1", "b2"}, "c": {"b"}}, status: 200},
		{name: "PUT", method: "PUT", ct: urlencoded, body: "x=1",
			form: url.Values{"x": {"1"}}, post: url.Values{"x": {"1"}}, status: 200},
		{name: "PATCH", method: "PATCH", ct: urlencoded, query: "x=2", body: "x=1",
			form: url.Values{"x": {"1", "2"}}, post: url.Values{"x": {"1"}}, status: 200},
		{name: "charset parameter", method: "POST", ct: urlencoded + "; charset=utf-8", body: "n=%C3%A9",
			form: url.Values{"n": {"é"}}, post: url.Values{"n": {"é"}}, status: 200},
		{name: "media type case", method: "POST", ct: "Application/X-WWW-Form-URLEncoded", body: "n=1",
			form: url.Values{"n": {"1"}}, post: url.Values{"n": {"1"}}, status: 200},
		{name: "bad parameter still a form", method: "POST", ct: urlencoded + "; charset", body: "n=1",
			form: url.Values{"n": {"1"}}, post: url.Values{"n": {"1"}}, status: 200, netHTTPDiffs: true},
		{name: "GET body ignored", method: "GET", ct: urlencoded, query: "q=1", body: "b=1", noRead: true,
			form: url.Values{"q": {"1"}}, post: url.Values{}, status: 200},
		{name: "DELETE body ignored", method: "DELETE", ct: urlencoded, body: "b=1", noRead: true,
			form: url.Values{}, post: url.Values{}, status: 200},
		{name: "text/plain ignored", method: "POST", ct: "text/plain", query: "q=1", body: "b=1", noRead: true,
			form: url.Values{"q": {"1"}}, post: url.Values{}, status: 200},
		{name: "multipart ignored", method: "POST", ct: "multipart/form-data; boundary=x", body: "b=1", noRead: true,
			form: url.Values{}, post: url.Values{}, status: 200, netHTTPDiffs: true}, // net/http wants ParseMultipartForm
		{name: "no Content-Type ignored", method: "POST", body: "b=1", noRead: true,
			form: url.Values{}, post: url.Values{}, status: 200},
		{name: "empty body", method: "POST", ct: urlencoded, query: "q=1",
			form: url.Values{"q": {"1"}}, post: url.Values{}, status: 200},
		{name: "at the limit", method: "POST", ct: urlencoded, body: "a=12345678", max: 10,
			form: url.Values{"a": {"12345678"}}, post: url.Values{"a": {"12345678"}}, status: 200},
		{name: "over the limit", method: "POST", ct: urlencoded, query: "q=1", body: "a=123456789", max: 10,
			form: url.Values{"q": {"1"}}, post: url.Values{}, status: 413},
		{name: "chunked over the limit", method: "POST", ct: urlencoded, body: "a=123456789", cl: -1, max: 10,
			form: url.Values{}, post: url.Values{}, status: 413},
		{name: "Content-Length over the limit", method: "POST", ct: urlencoded, body: "a=1", cl: 11, max: 10, noRead: true,
			form: url.Values{}, post: url.Values{}, status: 413},
		{name: "over the default limit", method: "POST", ct: urlencoded, body: "a=1", cl: api.DefaultMaxFormBytes + 1, noRead: true,
			form: url.Values{}, post: url.Values{}, status: 413, netHTTPDiffs: true}, // net/http reads, then finds it short
		{name: "no limit", method: "POST", ct: urlencoded, body: "a=" + strings.Repeat("x", 100), max: -1,
			form: url.Values{"a": {strings.Repeat("x", 100)}}, post: url.Values{"a": {strings.Repeat("x", 100)}}, status: 200},
		{name: "malformed body keeps good pairs", method: "POST", ct: urlencoded, query: "q=1", body: "a=%zz&b=2",
			form: url.Values{"b": {"2"}, "q": {"1"}}, post: url.Values{"b": {"2"}}, status: 400},
		{name: "semicolon in body", method: "POST", ct: urlencoded, body: "a=1;b=2",
			form: url.Values{}, post: url.Values{}, status: 400},
		{name: "malformed query", method: "GET", query: "a=%zz&b=1",
			form: url.Values{"b": {"1"}}, post: url.Values{}, status: 400},
		{name: "read error", method: "POST", ct: urlencoded, query: "q=1", body: "a=1", readErr: readErr, cl: -1,
			form: url.Values{"q": {"1"}}, post: url.Values{}, status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newReq := func(t *testing.T) (*api.Request, *countingBody) {
				var rd io.Reader = strings.NewReader(tt.body)
				if tt.readErr != nil {
					rd = io.MultiReader(rd, iotest.ErrReader(tt.readErr))
				}
				b := &countingBody{r: rd}
				if tt.noRead {
					b.noRead = t
				}
				cl := tt.cl
				if cl == 0 {
					cl = int64(len(tt.body))
				}
				return formRequest(tt.method, tt.ct, tt.query, b, cl, tt.max), b
			}
			r, _ := newReq(t)
			form, err := r.Form()
			if got := api.StatusOf(err); got != tt.status {
				t.Errorf("Form error %v: status %d, want %d", err, got, tt.status)
			}
			if !reflect.DeepEqual(form, tt.form) {
				t.Errorf("Form = %v, want %v", form, tt.form)
			}
			if tt.readErr != nil && !errors.Is(err, tt.readErr) {
				t.Errorf("Form error %v does not wrap the read error", err)
			}
			post, perr := r.PostForm()
			if !reflect.DeepEqual(post, tt.post) {
				t.Errorf("PostForm = %v, want %v", post, tt.post)
			}
			// PostForm reports the body's errors only.
			if tt.name != "malformed query" && !reflect.DeepEqual(perr, err) {
				t.Errorf("PostForm error %v, Form error %v", perr, err)
			}
			for _, k := range slices.Collect(maps.Keys(tt.form)) {
				if got := r.FormValue(k); got != tt.form.Get(k) {
					t.Errorf("FormValue(%q) = %q, want %q", k, got, tt.form.Get(k))
				}
				if got := r.PostFormValue(k); got != tt.post.Get(k) {
					t.Errorf("PostFormValue(%q) = %q, want %q", k, got, tt.post.Get(k))
				}
			}
			// FormValue first, on a fresh exchange, parses the same.
			r2, _ := newReq(t)
			for k, vs := range tt.form {
				if got := r2.FormValue(k); got != vs[0] {
					t.Errorf("first call FormValue(%q) = %q, want %q", k, got, vs[0])
				}
			}
			if tt.netHTTPDiffs || tt.max != 0 {
				return
			}
			// Differential: net/http's ParseForm agrees on the same request.
			hr := httpRequest(tt.method, tt.ct, tt.query, tt.body, tt.readErr)
			herr := hr.ParseForm()
			if (herr != nil) != (err != nil) {
				t.Errorf("net/http ParseForm error %v, Form error %v", herr, err)
			}
			if !reflect.DeepEqual(hr.Form, form) || !reflect.DeepEqual(hr.PostForm, post) {
				t.Errorf("net/http Form %v PostForm %v, want %v %v", hr.Form, hr.PostForm, form, post)
			}
		})
	}
}

func httpRequest(method, ct, query, body string, readErr error) *http.Request {
	var rd io.Reader = strings.NewReader(body)
	if readErr != nil {
		rd = io.MultiReader(rd, iotest.ErrReader(readErr))
	}
	hr := &http.Request{Method: method, URL: &url.URL{Path: "/f", RawQuery: query}, Header: http.Header{}, Body: io.NopCloser(rd)}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	return hr
}

// Form and PostForm hand out copies: changing one changes nothing that a
// later call, or another goroutine, sees.
func TestFormReturnsCopies(t *testing.T) {
	r := formRequest("POST", urlencoded, "q=1", strings.NewReader("a=1&a=2"), 7, 0)
	for _, get := range []func() (url.Values, error){r.Form, r.PostForm} {
		v, err := get()
		if err != nil {
			t.Fatal(err)
		}
		v["a"][0] = "changed"
		v["a"] = append(v["a"], "more")
		v.Set("new", "x")
	}
	form, _ := r.Form()
	post, _ := r.PostForm()
	if !reflect.DeepEqual(form, url.Values{"a": {"1", "2"}, "q": {"1"}}) || !reflect.DeepEqual(post, url.Values{"a": {"1", "2"}}) {
		t.Fatalf("after changing copies: Form %v, PostForm %v", form, post)
	}
}

// Every Request derived from one original shares one parse of the body,
// whichever asks first; what each sees of the query is its own.
func TestFormSharedByDerivedRequests(t *testing.T) {
	derive := []struct {
		name string
		f    func(*api.Request) *api.Request
	}{
		{"WithAttribute", func(r *api.Request) *api.Request { return r.WithAttribute(key("k"), 1) }},
		{"WithContext", func(r *api.Request) *api.Request { return r.WithContext(context.Background()) }},
		{"WithMapping", func(r *api.Request) *api.Request { return r.WithMapping(api.Mapping{Pattern: "/f"}) }},
		{"WithHeader", func(r *api.Request) *api.Request { return r.WithHeader(r.Header().With("X", "y")) }},
		{"WithHead forward", func(r *api.Request) *api.Request {
			h := r.Head()
			h.RawQuery = "fwd=1&" + h.RawQuery
			return r.WithHead(&h)
		}},
	}
	for _, first := range []string{"original", "derived"} {
		for _, d := range derive {
			t.Run(first+"/"+d.name, func(t *testing.T) {
				body := &countingBody{r: strings.NewReader("a=1")}
				r := formRequest("POST", urlencoded, "q=1", body, 3, 0)
				dr := d.f(r)
				askers := []*api.Request{r, dr}
				if first == "derived" {
					askers[0], askers[1] = dr, r
				}
				for _, x := range askers {
					if got := x.PostFormValue("a"); got != "1" {
						t.Fatalf("PostFormValue = %q", got)
					}
				}
				if n := body.reads.Load(); n > 2 { // one read with data, one for EOF
					t.Fatalf("body read %d times", n)
				}
				form, err := dr.Form()
				want := url.Values{"a": {"1"}, "q": {"1"}}
				if d.name == "WithHead forward" {
					want["fwd"] = []string{"1"}
				}
				if err != nil || !reflect.DeepEqual(form, want) {
					t.Fatalf("derived Form = %v, %v; want %v", form, err, want)
				}
			})
		}
	}
}

// The body form belongs to the exchange: a Request whose body was replaced
// shares it, and it is parsed from the body of the first Request that asks.
// A Request whose Content-Type calls for no form neither reads the body nor
// uses up the parse.
func TestFormPerExchange(t *testing.T) {
	orig := &countingBody{r: strings.NewReader("from=original")}
	r := formRequest("POST", urlencoded, "", orig, -1, 0)
	replaced := r.WithBody(io.NopCloser(strings.NewReader("from=replacement")))
	plain := r.WithHeader(r.Header().With("Content-Type", "text/plain"))
	if got := plain.FormValue("from"); got != "" {
		t.Fatalf("text/plain request FormValue = %q", got)
	}
	if got := replaced.FormValue("from"); got != "replacement" {
		t.Fatalf("first asker's FormValue = %q", got)
	}
	if got := r.FormValue("from"); got != "replacement" {
		t.Fatalf("original after the replacement parsed: %q", got)
	}
	if orig.reads.Load() != 0 {
		t.Fatal("the original body was read")
	}
}

// Many goroutines ask for the form of one exchange at once, through
// different Requests: one parse, and everyone sees its values (-race checks
// the sharing).
func TestFormConcurrent(t *testing.T) {
	body := &countingBody{r: iotest.OneByteReader(strings.NewReader("a=1&b=2&a=3"))}
	r := formRequest("POST", urlencoded, "q=x", body, 11, 0)
	want := url.Values{"a": {"1", "3"}, "b": {"2"}, "q": {"x"}}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			d := r.WithAttribute(key("i"), i)
			for range 20 {
				form, err := d.Form()
				if err != nil || !reflect.DeepEqual(form, want) {
					t.Errorf("Form = %v, %v", form, err)
					return
				}
				form["a"][0] = "mine" // a copy: nobody else sees it
				if d.FormValue("a") != "1" || d.PostFormValue("b") != "2" {
					t.Error("FormValue saw another goroutine's change")
					return
				}
			}
		})
	}
	wg.Wait()
	if n := body.reads.Load(); n != 12 { // 11 one-byte reads and the EOF
		t.Fatalf("body read %d times, want 12", n)
	}
}

// The form's slot rides in the Request's own allocation: NewMappedRequest
// allocates once, as it did before Form existed, and derivations no more
// than before, for a Mapping from a Route (which they share). A Mapping
// made by hand costs a Route of its own.
func TestNewMappedRequestAllocs(t *testing.T) {
	head := &api.RequestHead{Method: "GET", Path: "/", Body: http.NoBody}
	ctx := context.Background()
	m := api.NewRoute("", "/", api.MatchDefault).Map("/", "", nil)
	var sink *api.Request
	if n := testing.AllocsPerRun(100, func() { sink = api.NewMappedRequest(ctx, head, m, nil) }); n != 1 {
		t.Errorf("NewMappedRequest: %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { sink = sink.WithMapping(m) }); n != 1 {
		t.Errorf("WithMapping: %v allocations, want 1", n)
	}
	byHand := api.Mapping{Pattern: "/other", Kind: api.MatchExact, ServletPath: "/other"}
	base := sink
	if n := testing.AllocsPerRun(100, func() { sink = base.WithMapping(byHand) }); n != 2 {
		t.Errorf("WithMapping of a Mapping made by hand, for another route: %v allocations, want 2", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = sink.FormValue("x") }); n != 0 {
		t.Errorf("FormValue of a GET: %v allocations, want 0", n)
	}
	post := formRequest("POST", urlencoded, "q=1", strings.NewReader("a=1"), 3, 0)
	post.FormValue("a") // parse
	if n := testing.AllocsPerRun(100, func() { _, _ = post.FormValue("a"), post.FormValue("q") }); n != 0 {
		t.Errorf("FormValue of a parsed POST: %v allocations, want 0", n)
	}
}

// Form agrees with net/http's ParseForm on whatever query and body.
func FuzzForm(f *testing.F) {
	f.Add("POST", "a=1&b=2", "a=3")
	f.Add("POST", "a=%zz&b", "c=;d")
	f.Add("GET", "x=1", "y=2")
	f.Add("PUT", "a+b=c%20d&&", "%41=1")
	f.Fuzz(func(t *testing.T, method, body, query string) {
		switch method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			return
		}
		hr := httpRequest(method, urlencoded, query, body, nil)
		herr := hr.ParseForm()
		r := formRequest(method, urlencoded, query, strings.NewReader(body), int64(len(body)), 0)
		form, err := r.Form()
		post, _ := r.PostForm()
		if (herr != nil) != (err != nil) || !reflect.DeepEqual(hr.Form, form) || !reflect.DeepEqual(hr.PostForm, post) {
			t.Fatalf("body %q query %q: net/http %v %v %v, Form %v %v %v", body, query, hr.Form, hr.PostForm, herr, form, post, err)
		}
	})
}
