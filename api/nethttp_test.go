package api_test

import (
	"context"
	"net/http"
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
