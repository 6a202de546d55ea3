package api_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
)

type ctxKey struct{}

// ToHTTPRequest carries what a net/http handler reads, and its context.
func TestToHTTPRequest(t *testing.T) {
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	head := &api.RequestHead{
		Method: "POST", Target: "/a/b?x=1", Path: "/a/b", RawQuery: "x=1", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Host: "example.com", Header: api.NewHeaderFields([]api.HeaderField{{Key: "Content-Type", Value: "text/plain"}}),
		ContentLength: -1, Conn: &api.ConnInfo{RemoteAddr: "192.0.2.1:1234"}, Body: http.NoBody,
	}
	hr, err := api.ToHTTPRequest(api.NewRequest(ctx, head, nil))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case hr.Method != "POST", hr.URL.Path != "/a/b", hr.URL.RawQuery != "x=1", hr.RequestURI != "/a/b?x=1":
		t.Errorf("method %q, URL %v, RequestURI %q", hr.Method, hr.URL, hr.RequestURI)
	case hr.Proto != "HTTP/1.1" || hr.ProtoMajor != 1 || hr.ProtoMinor != 1:
		t.Errorf("proto %q %d.%d", hr.Proto, hr.ProtoMajor, hr.ProtoMinor)
	case hr.Host != "example.com", hr.RemoteAddr != "192.0.2.1:1234", hr.Body != http.NoBody:
		t.Errorf("host %q, remote %q", hr.Host, hr.RemoteAddr)
	case hr.Header.Get("Content-Type") != "text/plain":
		t.Errorf("header %v", hr.Header)
	case hr.ContentLength != -1 || len(hr.TransferEncoding) != 1 || hr.TransferEncoding[0] != "chunked":
		t.Errorf("length %d, transfer encoding %v", hr.ContentLength, hr.TransferEncoding)
	case hr.Context().Value(ctxKey{}) != "v":
		t.Error("the context is not the request's")
	}
}

// A net/http handler mounted on a pattern with {name} segments reads them
// with PathValue, as behind a ServeMux.
func TestToHTTPRequestPathValues(t *testing.T) {
	head := &api.RequestHead{Method: "GET", Target: "/notes/7/tags/go", Path: "/notes/7/tags/go", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: api.NewHeaderFields(nil), Body: http.NoBody}
	route := api.NewRoute("", "/notes/{id}/tags/{tag}", api.MatchExact)
	r := api.NewRequest(context.Background(), head, nil).WithMapping(route.Map("/notes/7/tags/go", "", []api.Param{{Name: "id", Value: "7"}, {Name: "tag", Value: "go"}}))
	hr, err := api.ToHTTPRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"id": "7", "tag": "go", "other": ""} {
		if got := hr.PathValue(name); got != want {
			t.Errorf("PathValue(%q) = %q, want %q", name, got, want)
		}
	}
}

// The fields net/http's servers set differently by protocol: the Host
// field is never in the header (it is Request.Host), and a body of
// unknown length is "chunked" on HTTP/1.1 only (HTTP/2 and HTTP/3 frame
// it, and net/http names no coding there).
func TestToHTTPRequestByProtocol(t *testing.T) {
	for _, tt := range []struct {
		proto  string
		major  int
		length int64
		te     []string
	}{
		{"HTTP/1.1", 1, -1, []string{"chunked"}},
		{"HTTP/1.1", 1, 5, nil},
		{"HTTP/2.0", 2, -1, nil},
		{"HTTP/3.0", 3, -1, nil},
	} {
		head := &api.RequestHead{
			Method: "POST", Target: "/", Path: "/", Proto: tt.proto, ProtoMajor: tt.major, Host: "example.com",
			Header:        api.NewHeaderFields([]api.HeaderField{{Key: "Host", Value: "example.com"}, {Key: "X-A", Value: "1"}}),
			ContentLength: tt.length, Body: http.NoBody,
		}
		hr, err := api.ToHTTPRequest(api.NewRequest(context.Background(), head, nil))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(hr.TransferEncoding, tt.te) || hr.ContentLength != tt.length {
			t.Errorf("%s, length %d: transfer encoding %v, length %d; want %v", tt.proto, tt.length, hr.TransferEncoding, hr.ContentLength, tt.te)
		}
		if _, ok := hr.Header["Host"]; ok || hr.Host != "example.com" || hr.Header.Get("X-A") != "1" {
			t.Errorf("%s: header %v, Host %q; want Host out of the header, in Request.Host", tt.proto, hr.Header, hr.Host)
		}
	}
}

// The URL, the header's copy (map, its table, values) and the request,
// made once: WithContext copies a request that stays on the stack.
func TestToHTTPRequestAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("allocation counts under the race detector")
	}
	head := &api.RequestHead{
		Method: "GET", Target: "/a?x=1", Path: "/a", RawQuery: "x=1", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Host: "example.com", Header: api.NewHeaderFields([]api.HeaderField{{Key: "Accept", Value: "*/*"}}), Body: http.NoBody,
	}
	r := api.NewRequest(context.Background(), head, nil)
	if n := testing.AllocsPerRun(100, func() { api.ToHTTPRequest(r) }); n > 5 {
		t.Errorf("ToHTTPRequest allocates %.0f times, want at most 5", n)
	}
}

// FromHTTP hands the Response the header as it was at WriteHeader: a field
// set before the handler ran is in the handler's header, and removing it
// afterwards, like adding one, is too late. The declared and the prefixed
// trailers become the Response's, the declared ones announced even unset.
func TestFromHTTPHeaderAndTrailers(t *testing.T) {
	h := api.FromHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if w.Header().Get("X-Outer") != "1" {
			t.Error("the outer field is not in the handler's header")
		}
		w.Header().Set("Trailer", "X-Sum, x-count")
		w.Header().Set("X-Early", "1")
		w.WriteHeader(http.StatusAccepted)
		w.Header().Set("X-Late", "1")
		w.Header().Del("X-Outer")
		w.Write([]byte("body"))
		w.Header().Set("X-Sum", "abc")
		w.Header().Set(http.TrailerPrefix+"X-Other", "def")
	}))
	w := wharftest.NewRecorder()
	w.Header().Set("X-Outer", "1")
	r := api.NewRequest(context.Background(), wharftest.Head("GET", "/"), nil)
	if err := h.Serve(w, r); err != nil {
		t.Fatal(err)
	}
	got, tr := w.Result(), w.TrailerSnapshot()
	switch {
	case w.Status() != http.StatusAccepted || w.Body() != "body":
		t.Errorf("status %d, body %q", w.Status(), w.Body())
	case got.Get("X-Early") != "1" || got.Get("X-Outer") != "1":
		t.Errorf("fields set before WriteHeader lost: %v", got)
	case got.Get("X-Late") != "" || got.Get("Trailer") != "" || got.Get("X-Sum") != "":
		t.Errorf("header %v", got)
	case tr.Get("X-Sum") != "abc" || tr.Get("X-Other") != "def" || len(tr) != 3:
		t.Errorf("trailer %v, want X-Sum, X-Other and the declared X-Count", tr)
	}
}

// The net/http handler sees the path the container mapped, cleaned, not
// the target's dot segments: a router under it must not route
// "/admin/../public" to "/admin/*" when the container's filters saw
// "/public".
func TestToHTTPRequestCleanedPath(t *testing.T) {
	for _, tt := range []struct{ target, path, raw string }{
		{"/admin/../public/x?q=1", "/public/x", ""},
		{"//admin/x", "/admin/x", ""},
		{"/admin%2F..%2Fpublic", "/public", ""},
		{"/a%2Fb", "/a/b", "/a%2Fb"}, // nothing cleaned: the raw form stays
	} {
		head := &api.RequestHead{Method: "GET", Target: tt.target, Path: tt.path, Header: api.NewHeaderFields(nil), Body: http.NoBody}
		hr, err := api.ToHTTPRequest(api.NewRequest(context.Background(), head, nil))
		if err != nil {
			t.Fatal(err)
		}
		if hr.URL.Path != tt.path || hr.URL.RawPath != tt.raw || hr.RequestURI != tt.target {
			t.Errorf("%s: URL.Path %q, RawPath %q, RequestURI %q; want %q, %q, the target", tt.target, hr.URL.Path, hr.URL.RawPath, hr.RequestURI, tt.path, tt.raw)
		}
	}
}

// A body form a filter read (FormValue, say) reaches a net/http handler
// under it: the body is gone by then, and net/http's ParseForm would read
// nothing from it. ToHTTPRequest hands over the values the exchange
// parsed, in Form and PostForm, as the Servlet API hands its parameters
// to whatever asks after the first parse.
func TestToHTTPRequestFormReadBefore(t *testing.T) {
	head := &api.RequestHead{
		Method: "POST", Target: "/f?q=1", Path: "/f", RawQuery: "q=1", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        api.NewHeaderFields([]api.HeaderField{{Key: "Content-Type", Value: "application/x-www-form-urlencoded"}}),
		ContentLength: 7, Body: io.NopCloser(strings.NewReader("a=1&q=2")),
	}
	r := api.NewRequest(context.Background(), head, nil)
	if v := r.FormValue("a"); v != "1" { // a filter's look, before the handler
		t.Fatalf("FormValue(a) = %q", v)
	}
	hr, err := api.ToHTTPRequest(r.WithAttribute(ctxKey{}, "derived"))
	if err != nil {
		t.Fatal(err)
	}
	if got := hr.FormValue("a"); got != "1" {
		t.Errorf("net/http FormValue(a) = %q, want 1", got)
	}
	if got := hr.Form["q"]; !slices.Equal(got, []string{"2", "1"}) {
		t.Errorf("net/http Form[q] = %q, want the body's then the query's, [2 1]", got)
	}
	if got := hr.PostFormValue("q"); got != "2" {
		t.Errorf("net/http PostFormValue(q) = %q, want 2", got)
	}
	hr.Form.Set("a", "changed") // the handler's own copy
	if v := r.FormValue("a"); v != "1" {
		t.Errorf("the net/http handler's change reached the Request: FormValue(a) = %q", v)
	}
}

// A net/http handler finds the connection's local address under
// http.LocalAddrContextKey, as net/http's server puts it there: a
// *net.TCPAddr, a *net.UDPAddr over HTTP/3, none when the connector did
// not say, and the one already there (behind net/http's server) kept.
func TestToHTTPRequestLocalAddr(t *testing.T) {
	theirs := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 80}
	for _, tt := range []struct {
		name  string
		ctx   context.Context
		major int
		local string
		want  string // the address's Network() + " " + String(); "" for none
	}{
		{"h1", context.Background(), 1, "127.0.0.1:8080", "tcp 127.0.0.1:8080"},
		{"h2 v6", context.Background(), 2, "[::1]:8443", "tcp [::1]:8443"},
		{"h3", context.Background(), 3, "127.0.0.1:8443", "udp 127.0.0.1:8443"},
		{"unknown", context.Background(), 1, "", ""},
		{"behind net/http", context.WithValue(context.Background(), http.LocalAddrContextKey, theirs), 1, "127.0.0.1:8080", "tcp 10.0.0.1:80"},
	} {
		head := &api.RequestHead{
			Method: "GET", Target: "/", Path: "/", Proto: "HTTP/1.1", ProtoMajor: tt.major, ProtoMinor: 1,
			Host: "example.com", Header: api.NewHeaderFields(nil), Body: http.NoBody,
			Conn: &api.ConnInfo{RemoteAddr: "127.0.0.1:5000", LocalAddr: tt.local},
		}
		hr, err := api.ToHTTPRequest(api.NewRequest(tt.ctx, head, nil))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if a, ok := hr.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			got = a.Network() + " " + a.String()
		}
		if got != tt.want {
			t.Errorf("%s: LocalAddrContextKey %q, want %q", tt.name, got, tt.want)
		}
	}
}

// A filter that rewrites the query (WithHead: a parameter taken out or
// added) is obeyed by a net/http handler under it as by a Wharf handler:
// the URL's query is the request's, as its path is, and RequestURI stays
// the target as sent.
func TestToHTTPRequestRewrittenQuery(t *testing.T) {
	for _, tt := range []struct{ target, query string }{
		{"/a?debug=1&x=2", "x=2"},
		{"/a?debug=1", ""},
		{"/a", "added=1"},
		{"/a?x=2", "x=2"},
	} {
		u, _ := url.ParseRequestURI(tt.target)
		head := &api.RequestHead{Method: "GET", Target: tt.target, Path: "/a", RawQuery: u.RawQuery, Header: api.NewHeaderFields(nil), Body: http.NoBody}
		r := api.NewRequest(context.Background(), head, nil)
		h := r.Head()
		h.RawQuery = tt.query // a filter's rewrite
		r = r.WithHead(&h)
		hr, err := api.ToHTTPRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		if hr.URL.RawQuery != tt.query || hr.FormValue("debug") != r.FormValue("debug") || hr.RequestURI != tt.target {
			t.Errorf("%s rewritten to %q: URL.RawQuery %q, FormValue(debug) %q, RequestURI %q; want %q, %q, the target",
				tt.target, tt.query, hr.URL.RawQuery, hr.FormValue("debug"), hr.RequestURI, tt.query, r.FormValue("debug"))
		}
	}
}

// eofBody is a request body whose trailers arrive with its end, as a
// connector's chunked body's do.
type eofBody struct {
	io.Reader
	trailer, got http.Header
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err == io.EOF {
		b.got = b.trailer
	}
	return n, err
}

func (b *eofBody) Close() error { return nil }

// Trailers that arrived before ToHTTPRequest, with a body a filter read
// to its end for a form, reach the net/http handler with their values,
// as on net/http's server, where ParseForm's read fills Trailer: the
// handler reads no more of the body, so they cannot come later.
func TestToHTTPRequestTrailersReadBefore(t *testing.T) {
	body := &eofBody{Reader: strings.NewReader("a=1"), trailer: http.Header{"X-Sig": {"v"}}}
	head := &api.RequestHead{
		Method: "POST", Target: "/f", Path: "/f", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: api.NewHeaderFields([]api.HeaderField{
			{Key: "Content-Type", Value: "application/x-www-form-urlencoded"}, {Key: "Trailer", Value: "X-Sig"},
		}),
		ContentLength: -1, Body: body, Trailer: func() http.Header { return body.got },
	}
	r := api.NewRequest(context.Background(), head, nil)
	if v := r.FormValue("a"); v != "1" { // a filter's look: the body is read to its end
		t.Fatalf("FormValue(a) = %q", v)
	}
	hr, err := api.ToHTTPRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	if hr.FormValue("a") != "1" || hr.Trailer.Get("X-Sig") != "v" {
		t.Errorf("net/http FormValue(a) = %q, Trailer %v; want 1, X-Sig: v", hr.FormValue("a"), hr.Trailer)
	}
	hr.Trailer.Set("X-Sig", "changed") // the handler's own copy
	if v := r.Trailer().Get("X-Sig"); v != "v" {
		t.Errorf("the net/http handler's change reached the Request: Trailer X-Sig = %q", v)
	}
}

// Request.Close is set as net/http's server sets it from the request: an
// HTTP/1.x client that names "close" in its Connection fields, or an
// HTTP/1.0 one that does not name "keep-alive", will not send another
// request on the connection. net/http's ReadRequest is the reference for
// HTTP/1.x; HTTP/2 and HTTP/3 requests have no Connection field, and
// net/http's servers leave Close false there.
func TestToHTTPRequestClose(t *testing.T) {
	for _, tt := range []struct {
		proto string
		conn  []string // the Connection fields
		want  bool
	}{
		{"HTTP/1.1", nil, false},
		{"HTTP/1.1", []string{"close"}, true},
		{"HTTP/1.1", []string{"Keep-Alive, Close"}, true},
		{"HTTP/1.1", []string{"upgrade", " close "}, true},
		{"HTTP/1.1", []string{"closed"}, false},
		{"HTTP/1.1", []string{"keep-alive"}, false},
		{"HTTP/1.0", nil, true},
		{"HTTP/1.0", []string{"keep-alive"}, false},
		{"HTTP/1.0", []string{"foo,\tKEEP-ALIVE"}, false},
		{"HTTP/1.0", []string{"keep-alive, close"}, true},
		{"HTTP/1.0", []string{"keep-alives"}, true},
		{"HTTP/2.0", []string{"close"}, false},
		{"HTTP/3.0", []string{"close"}, false},
	} {
		var raw strings.Builder
		raw.WriteString("GET / " + tt.proto + "\r\nHost: example.com\r\n")
		for _, v := range tt.conn {
			raw.WriteString("Connection: " + v + "\r\n")
		}
		raw.WriteString("\r\n")
		var major, minor int
		if strings.HasPrefix(tt.proto, "HTTP/1.") {
			ref, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw.String())))
			if err != nil {
				t.Fatal(err)
			}
			if ref.Close != tt.want {
				t.Fatalf("%s %q: net/http's Close = %v, the table says %v", tt.proto, tt.conn, ref.Close, tt.want)
			}
			major, minor = ref.ProtoMajor, ref.ProtoMinor
		} else {
			major, minor, _ = http.ParseHTTPVersion(tt.proto)
		}
		fields := []api.HeaderField{{Key: "Host", Value: "example.com"}}
		for _, v := range tt.conn {
			fields = append(fields, api.HeaderField{Key: "Connection", Value: v})
		}
		head := &api.RequestHead{
			Method: "GET", Target: "/", Path: "/", Proto: tt.proto, ProtoMajor: major, ProtoMinor: minor,
			Host: "example.com", Header: api.NewHeaderFields(fields), Body: http.NoBody,
		}
		hr, err := api.ToHTTPRequest(api.NewRequest(context.Background(), head, nil))
		if err != nil {
			t.Fatal(err)
		}
		if hr.Close != tt.want {
			t.Errorf("%s, Connection %q: Close = %v, want %v", tt.proto, tt.conn, hr.Close, tt.want)
		}
	}
}
