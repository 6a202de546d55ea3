package telemetry

import "testing"

// The values of the query parameters OpenTelemetry names as credentials
// are redacted in url.query, and nothing else changes.
func TestRedactQuery(t *testing.T) {
	for _, tt := range []struct{ q, want string }{
		{"a=1&b=2", "a=1&b=2"},
		{"sig=abc", "sig=REDACTED"},
		{"a=1&Signature=xyz&b=2", "a=1&Signature=REDACTED&b=2"},
		{"AWSAccessKeyId=AK&X-Goog-Signature=s&x=", "AWSAccessKeyId=REDACTED&X-Goog-Signature=REDACTED&x="},
		{"sig", "sig"},                             // no value to hide
		{"sig=&a", "sig=REDACTED&a"},               // an empty one is hidden too
		{"signature=1&SIG=2", "signature=1&SIG=2"}, // names compare exactly
		{"a=1&&sig=2&", "a=1&&sig=REDACTED&"},
		{"%73ig=abc&Sig%6eature=x", "%73ig=REDACTED&Sig%6eature=REDACTED"}, // the names as the server decodes them
		{"si%zzg=1", "si%zzg=1"},                                           // no name at all
	} {
		if got := redactQuery(tt.q); got != tt.want {
			t.Errorf("redactQuery(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { redactQuery("a=1&b=2&c=3") }); n != 0 {
		t.Errorf("a query with nothing to hide costs %v allocations", n)
	}
}

// server.address is the host without its port, and an IPv6 literal
// without its brackets, whether a port follows or not.
func TestSplitHostPort(t *testing.T) {
	for _, tt := range []struct {
		in   string
		host string
		port int
	}{
		{"example.com", "example.com", 0},
		{"example.com:8080", "example.com", 8080},
		{"[::1]:443", "::1", 443},
		{"[::1]", "::1", 0},
		{"[", "[", 0},
		{"example.com:x", "example.com", 0},
	} {
		if h, p := splitHostPort(tt.in); h != tt.host || p != tt.port {
			t.Errorf("splitHostPort(%q) = %q, %d; want %q, %d", tt.in, h, p, tt.host, tt.port)
		}
	}
}
