package api_test

import (
	"bytes"
	"maps"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
)

// Both representations of a Header (a map, or the fields packed as
// received, given as strings or found in a head's text)
// answer every question alike.
func TestHeaderRepresentations(t *testing.T) {
	fields := []api.HeaderField{
		{"Accept", "text/plain"}, {"X-Multi", "a"}, {"Host", "example.com"}, {"X-Multi", "b"},
	}
	// As an HTTP/1.1 client may send them: names in any case, each a
	// view into the head's bytes.
	raw := []byte("GET / HTTP/1.1\r\naccept: text/plain\r\nX-MULTI: a\r\nHost: example.com\r\nx-multi: b\r\n\r\n")
	text, _ := api.NewHeaderText(raw, 4, headSpans(raw))
	views := map[string]api.Header{
		"map":    api.NewHeader(http.Header{"Accept": {"text/plain"}, "X-Multi": {"a", "b"}, "Host": {"example.com"}}),
		"fields": api.NewHeaderFields(slices.Clone(fields)),
		"text":   text,
		// Keys as HTTP/2 sends them: NewHeaderFields makes them canonical.
		"lower": api.NewHeaderFields([]api.HeaderField{
			{"accept", "text/plain"}, {"x-multi", "a"}, {"host", "example.com"}, {"x-multi", "b"},
		}),
	}
	for name, h := range views {
		t.Run(name, func(t *testing.T) {
			tests := []struct {
				key    string
				get    string
				has    bool
				values []string
			}{
				{"Accept", "text/plain", true, []string{"text/plain"}},
				{"accept", "text/plain", true, []string{"text/plain"}},
				{"X-MULTI", "a", true, []string{"a", "b"}},
				{"x-multi", "a", true, []string{"a", "b"}},
				{"Missing", "", false, nil},
				{"", "", false, nil},
			}
			for _, tc := range tests {
				if got := h.Get(tc.key); got != tc.get {
					t.Errorf("Get(%q) = %q, want %q", tc.key, got, tc.get)
				}
				if got := h.Has(tc.key); got != tc.has {
					t.Errorf("Has(%q) = %v, want %v", tc.key, got, tc.has)
				}
				if got := h.Values(tc.key); !slices.Equal(got, tc.values) {
					t.Errorf("Values(%q) = %q, want %q", tc.key, got, tc.values)
				}
			}
			if h.Len() != 3 {
				t.Errorf("Len = %d, want 3", h.Len())
			}
			c := h.Clone()
			want := http.Header{"Accept": {"text/plain"}, "X-Multi": {"a", "b"}, "Host": {"example.com"}}
			if !maps.EqualFunc(c, want, slices.Equal) {
				t.Errorf("Clone = %v", c)
			}
			c.Set("Accept", "changed")
			if h.Get("Accept") != "text/plain" {
				t.Error("Clone shares storage with the view")
			}
			n := 0
			for k, v := range h.All() {
				if !slices.Contains(want[k], v) {
					t.Errorf("All yielded %s: %s", k, v)
				}
				n++
			}
			if n != 4 {
				t.Errorf("All yielded %d pairs, want 4", n)
			}
			if w := h.With("accept", "x/y"); w.Get("Accept") != "x/y" || h.Get("Accept") != "text/plain" || w.Get("X-Multi") != "a" {
				t.Error("With")
			}
			if w := h.Without("x-multi"); w.Has("X-Multi") || !h.Has("X-Multi") || w.Len() != 2 {
				t.Error("Without")
			}
			if w := h.Without("x-multi", "Missing", "host"); w.Len() != 1 || w.Get("Accept") != "text/plain" || !h.Has("Host") {
				t.Error("Without several")
			}
			if w := h.Without("Missing", "Other"); w.Len() != 3 || w.Get("X-Multi") != "a" {
				t.Error("Without none present")
			}
			if w := h.WithoutConditions(); w.Len() != 3 {
				t.Error("WithoutConditions of a header with none")
			}
		})
	}
	var zero api.Header
	if zero.Get("A") != "" || zero.Has("A") || zero.Len() != 0 || len(zero.Clone()) != 0 {
		t.Error("zero Header is not empty")
	}
	if empty := api.NewHeaderFields(nil); empty.Len() != 0 || empty.Has("A") {
		t.Error("NewHeaderFields(nil) is not empty")
	}
}

// Looking up a field the way clients spell it allocates nothing.
func TestHeaderFieldsGetAllocs(t *testing.T) {
	h := api.NewHeaderFields([]api.HeaderField{{"Host", "x"}, {"Accept", "*/*"}, {"User-Agent", "curl"}})
	if n := testing.AllocsPerRun(100, func() {
		_ = h.Get("User-Agent")
		_ = h.Get("Missing")
		_ = h.Has("Accept")
	}); n != 0 {
		t.Fatalf("%v allocations per lookup", n)
	}
}

// headSpans returns a field function for NewHeaderText over the header
// fields of an HTTP/1.1 head: views into raw, as a connector's parser
// gives them.
func headSpans(raw []byte) func(i int) ([]byte, []byte) {
	var names, values [][]byte
	lines := bytes.Split(raw, []byte("\r\n"))
	for _, l := range lines[1:] {
		if k, v, ok := bytes.Cut(l, []byte(": ")); ok {
			names, values = append(names, k), append(values, v)
		}
	}
	return func(i int) ([]byte, []byte) { return names[i], values[i] }
}

// NewHeaderText copies the head once: the view and the text it returns
// keep nothing of the caller's bytes, names are canonical in the copy and
// nothing else changed, and a field that is not a view into the text is
// copied after it.
func TestNewHeaderText(t *testing.T) {
	raw := []byte("GET /a?b HTTP/1.1\r\nhost: x\r\nsec-ch-ua: \"C\"\r\nWEIRD_name: v\r\nBad Name: kept\r\n\r\n")
	spans := headSpans(raw)
	outside := []byte("elsewhere")
	h, text := api.NewHeaderText(raw, 5, func(i int) ([]byte, []byte) {
		if i == 4 {
			return []byte("x-extra"), outside
		}
		return spans(i)
	})
	want := "GET /a?b HTTP/1.1\r\nHost: x\r\nSec-Ch-Ua: \"C\"\r\nWeird_name: v\r\nBad Name: kept\r\n\r\n"
	if text != want {
		t.Errorf("text = %q, want %q", text, want)
	}
	clear(raw)
	clear(outside)
	for _, tc := range []struct{ key, value string }{
		{"Host", "x"}, {"Sec-Ch-Ua", `"C"`}, {"Weird_name", "v"}, {"Bad Name", "kept"}, {"X-Extra", "elsewhere"},
	} {
		if got := h.Get(tc.key); got != tc.value {
			t.Errorf("Get(%q) = %q, want %q", tc.key, got, tc.value)
		}
	}
	if h.Len() != 5 {
		t.Errorf("Len = %d, want 5", h.Len())
	}
	if h, text := api.NewHeaderText(nil, 0, nil); h.Len() != 0 || text != "" {
		t.Error("an empty head is not empty")
	}
}

// A head too large for 16-bit places (a limit raised past 64 KiB) keeps
// every field, on both sides of the boundary.
func TestHeaderTextWide(t *testing.T) {
	for _, size := range []int{65535 - 200, 65535 - 100, 65535 - 60, 65535, 65536, 70000, 1 << 20} {
		head := "GET / HTTP/1.1\r\nA: 1\r\nX-Pad: "
		pad := size - len(head) - len("\r\nZ: last\r\n\r\n") - 3*8
		if pad < 0 {
			t.Fatal("size too small")
		}
		raw := []byte(head + strings.Repeat("p", pad) + "\r\nZ: last\r\n\r\n")
		h, text := api.NewHeaderText(raw, 3, headSpans(raw))
		if text != string(raw) {
			t.Fatalf("size %d: text changed", size)
		}
		if h.Get("A") != "1" || h.Get("Z") != "last" || len(h.Get("X-Pad")) != pad || h.Len() != 3 {
			t.Errorf("size %d: A=%q Z=%q len(X-Pad)=%d Len=%d", size, h.Get("A"), h.Get("Z"), len(h.Get("X-Pad")), h.Len())
		}
	}
}

// Looking a field up in a head's text allocates nothing either.
func TestHeaderTextGetAllocs(t *testing.T) {
	raw := []byte("GET / HTTP/1.1\r\nHost: x\r\naccept: */*\r\nUser-Agent: curl\r\n\r\n")
	h, _ := api.NewHeaderText(raw, 3, headSpans(raw))
	if n := testing.AllocsPerRun(100, func() {
		_ = h.Get("User-Agent")
		_ = h.Get("accept")
		_ = h.Get("Missing")
		_ = h.Has("Accept")
	}); n != 0 {
		t.Fatalf("%v allocations per lookup", n)
	}
}

// Whatever the fields, the packed view answers as a map built from them
// with net/textproto's canonical keys would, whether the fields are given
// as strings or found in a head's text.
func FuzzHeaderFields(f *testing.F) {
	f.Add("accept", "text/plain", "X-MULTI", "a", "x-multi", "b")
	f.Add("Host", "example.com", "sec-ch-ua", `"C"`, "WEIRD_name", "v")
	f.Add("Bad Name", "kept", "", "", "a-", "-b")
	f.Add("content-type", "", "\xff", "\x00", "ßz", "é")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string) {
		fields := []api.HeaderField{{k1, v1}, {k2, v2}, {k3, v3}}
		want := http.Header{}
		for _, hf := range fields {
			k := textproto.CanonicalMIMEHeaderKey(hf.Key)
			want[k] = append(want[k], hf.Value)
		}
		var raw []byte
		var names, values [][]byte
		for _, hf := range fields {
			raw = append(raw, hf.Key...)
			names = append(names, raw[len(raw)-len(hf.Key):len(raw):len(raw)])
			raw = append(raw, ": "...)
			raw = append(raw, hf.Value...)
			values = append(values, raw[len(raw)-len(hf.Value):len(raw):len(raw)])
			raw = append(raw, "\r\n"...)
		}
		// The views above were taken while raw grew: find them again in
		// its final array.
		off := 0
		for i, hf := range fields {
			names[i] = raw[off : off+len(hf.Key)]
			off += len(hf.Key) + 2
			values[i] = raw[off : off+len(hf.Value)]
			off += len(hf.Value) + 2
		}
		text, _ := api.NewHeaderText(raw, 3, func(i int) ([]byte, []byte) { return names[i], values[i] })
		// The last value from elsewhere: copied after the text.
		mixed, _ := api.NewHeaderText(raw, 3, func(i int) ([]byte, []byte) {
			if i == 2 {
				return names[i], []byte(v3)
			}
			return names[i], values[i]
		})
		for name, h := range map[string]api.Header{"fields": api.NewHeaderFields(fields), "text": text, "mixed": mixed} {
			if got := h.Clone(); !maps.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("%s: Clone = %q, want %q", name, got, want)
			}
			for k, vs := range want {
				if got := h.Values(k); !slices.Equal(got, vs) {
					t.Fatalf("%s: Values(%q) = %q, want %q", name, k, got, vs)
				}
			}
			if h.Len() != len(want) {
				t.Fatalf("%s: Len = %d, want %d", name, h.Len(), len(want))
			}
		}
	})
}

// BenchmarkHeaderGet looks up the fields a server asks about most in a
// browser's head, in each representation.
func BenchmarkHeaderGet(b *testing.B) {
	raw := []byte("GET / HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive\r\n" +
		"sec-ch-ua: \"Chromium\";v=\"131\"\r\nsec-ch-ua-mobile: ?0\r\nUser-Agent: Mozilla/5.0\r\n" +
		"Accept: text/html\r\nSec-Fetch-Site: none\r\nAccept-Encoding: gzip, deflate, br\r\n" +
		"Accept-Language: en-US\r\nCookie: a=b\r\n\r\n")
	text, _ := api.NewHeaderText(raw, 10, headSpans(raw))
	views := map[string]api.Header{"map": api.NewHeader(text.Clone()), "text": text}
	for _, name := range []string{"map", "text"} {
		h := views[name]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_ = h.Get("Accept-Encoding")
				_ = h.Get("Cookie")
				_ = h.Get("If-None-Match")
			}
		})
	}
}

// BenchmarkNewHeaderText packs a curl-like head, as the HTTP/1.1
// connector does for every request.
func BenchmarkNewHeaderText(b *testing.B) {
	raw := []byte("GET /hello HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
	field := headSpans(raw)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = api.NewHeaderText(raw, 3, field)
	}
}
