package header_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"reflect"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/header"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func TestHeader(t *testing.T) {
	tests := []struct {
		name     string
		cfg      header.Config
		preset   http.Header // response fields before the filter
		wantResp http.Header
		wantReq  http.Header // fields the handler sees
	}{
		{
			name:     "zero config changes nothing",
			preset:   http.Header{"X-Keep": {"1"}},
			wantResp: http.Header{"X-Keep": {"1"}},
			wantReq:  http.Header{"Accept": {"text/plain"}, "X-Drop": {"d"}, "Cookie": {"a=1"}},
		},
		{
			name: "response set add remove",
			cfg: header.Config{
				Set:    map[string]string{"x-frame-options": "DENY", "X-Replace": "new"},
				Add:    map[string]string{"Cache-Control": "no-store", "x-replace": "added"},
				Remove: []string{"server", "X-Powered-By"},
			},
			preset: http.Header{"Server": {"wharf"}, "x-powered-by": {"go"}, "X-Replace": {"old", "older"},
				"Cache-Control": {"private"}},
			wantResp: http.Header{"X-Frame-Options": {"DENY"}, "X-Replace": {"new", "added"},
				"Cache-Control": {"private", "no-store"}},
			wantReq: http.Header{"Accept": {"text/plain"}, "X-Drop": {"d"}, "Cookie": {"a=1"}},
		},
		{
			name: "remove then set the same field",
			cfg: header.Config{
				Set:    map[string]string{"X-A": "set"},
				Remove: []string{"x-a"},
			},
			preset:   http.Header{"X-A": {"old"}},
			wantResp: http.Header{"X-A": {"set"}},
			wantReq:  http.Header{"Accept": {"text/plain"}, "X-Drop": {"d"}, "Cookie": {"a=1"}},
		},
		{
			name: "request set and remove",
			cfg: header.Config{
				RequestSet:    map[string]string{"accept": "application/json", "X-Request-Id": "abc"},
				RequestRemove: []string{"x-drop", "Cookie", "Missing"},
			},
			wantResp: http.Header{},
			wantReq:  http.Header{"Accept": {"application/json"}, "X-Request-Id": {"abc"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := wharftest.Request("GET", "/", "Accept", "text/plain", "X-Drop", "d", "Cookie", "a=1")
			before := orig.Header().Clone()
			var seen http.Header
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				seen = r.Header().Clone()
				return nil
			}), header.New(tt.cfg))
			w := wharftest.NewRecorder()
			for k, v := range tt.preset {
				w.Header()[k] = v
			}
			if err := h.Serve(w, orig); err != nil {
				t.Fatal(err)
			}
			if got := w.Header(); !reflect.DeepEqual(got, tt.wantResp) {
				t.Errorf("response header = %v, want %v", got, tt.wantResp)
			}
			if !reflect.DeepEqual(seen, tt.wantReq) {
				t.Errorf("request header = %v, want %v", seen, tt.wantReq)
			}
			if !reflect.DeepEqual(orig.Header().Clone(), before) {
				t.Errorf("original request mutated: %v", orig.Header().Clone())
			}
		})
	}
}

func TestConfigCopied(t *testing.T) {
	cfg := header.Config{Set: map[string]string{"X-A": "1"}}
	f := header.New(cfg)
	cfg.Set["X-A"] = "2"
	w := wharftest.NewRecorder()
	api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error { return nil }), f).
		Serve(w, wharftest.Request("GET", "/"))
	if w.Header().Get("X-A") != "1" {
		t.Fatalf("got %q", w.Header().Get("X-A"))
	}
}

func TestHandlerMayOverride(t *testing.T) {
	w := wharftest.NewRecorder()
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("Cache-Control", "max-age=60")
		return nil
	}), header.New(header.Config{Set: map[string]string{"Cache-Control": "no-store"}}))
	if err := h.Serve(w, wharftest.Request("GET", "/")); err != nil {
		t.Fatal(err)
	}
	if got := w.Header().Get("Cache-Control"); got != "max-age=60" {
		t.Fatalf("Cache-Control = %q", got)
	}
}

// RFC 6797 §7.2: Strict-Transport-Security goes only on responses to
// requests that came over https (TLS, or a trusted proxy's word); the
// other fields go on both.
func TestStrictTransportSecurityOnlyOverTLS(t *testing.T) {
	const sts = "max-age=63072000"
	tests := []struct {
		name   string
		cfg    header.Config
		tls    bool
		scheme api.Scheme
		want   http.Header
	}{
		{"set over tls", header.Config{Set: map[string]string{"strict-transport-security": sts, "X-A": "1"}}, true, 0,
			http.Header{"Strict-Transport-Security": {sts}, "X-A": {"1"}}},
		{"set over cleartext", header.Config{Set: map[string]string{"strict-transport-security": sts, "X-A": "1"}}, false, 0,
			http.Header{"X-A": {"1"}}},
		{"add over tls", header.Config{Add: map[string]string{"Strict-Transport-Security": sts}}, true, 0,
			http.Header{"Strict-Transport-Security": {sts}}},
		{"add over cleartext", header.Config{Add: map[string]string{"Strict-Transport-Security": sts}}, false, 0,
			http.Header{}},
		{"behind a proxy that took https", header.Config{Set: map[string]string{"Strict-Transport-Security": sts}}, false, api.SchemeHTTPS,
			http.Header{"Strict-Transport-Security": {sts}}},
		{"over tls from a proxy that took http", header.Config{Set: map[string]string{"Strict-Transport-Security": sts}}, true, api.SchemeHTTP,
			http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := wharftest.Head("GET", "/")
			head.Conn = &api.ConnInfo{RemoteAddr: head.Conn.RemoteAddr, LocalAddr: head.Conn.LocalAddr, Scheme: tt.scheme}
			if tt.tls {
				head.Conn.TLS = &tls.ConnectionState{HandshakeComplete: true}
			}
			h := api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error { return nil }), header.New(tt.cfg))
			w := wharftest.NewRecorder()
			if err := h.Serve(w, api.NewRequest(context.Background(), head, nil)); err != nil {
				t.Fatal(err)
			}
			if got := w.Header(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("response header = %v, want %v", got, tt.want)
			}
		})
	}
}
