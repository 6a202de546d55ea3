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
	} {
		if got := redactQuery(tt.q); got != tt.want {
			t.Errorf("redactQuery(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { redactQuery("a=1&b=2&c=3") }); n != 0 {
		t.Errorf("a query with nothing to hide costs %v allocations", n)
	}
}
