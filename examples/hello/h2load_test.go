package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

var h2loadRequests = regexp.MustCompile(`requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)

// TestH2Load drives the example with h2load (nghttp2) for a short load
// over HTTP/2 with TLS and over h2c: every request must succeed, on
// plaintext and on suspended (/delay) endpoints. CI installs h2load
// (Debian's nghttp2-client); without it the test is skipped, or fails
// when CI is set (wharftest.Tool).
func TestH2Load(t *testing.T) {
	h2load := wharftest.Tool(t, "h2load", "Debian package nghttp2-client")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"tls", []string{"-tls"}},
		{"h2c", []string{"-h2c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, stop := exampletest.RunCommand(t, command.Run, tc.args...)
			defer stop()
			for _, path := range []string{"/hello?name=h2load", "/delay?ms=5", "/sleep?ms=5"} {
				out, err := exec.Command(h2load, "-n", "2000", "-c", "10", "-m", "10", base+path).CombinedOutput()
				m := h2loadRequests.FindStringSubmatch(string(out))
				if err != nil || m == nil {
					t.Fatalf("h2load %s: %v\n%s", path, err, out)
				}
				if m[1] != "2000" || m[3] != "2000" || !strings.Contains(string(out), "2000 2xx") {
					t.Errorf("h2load %s: %s", path, m[0])
				}
			}
		})
	}
}
