package main

import (
	"os/exec"
	"testing"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestCurlH2C serves with -h2c and asks with curl in the three ways a
// cleartext port then answers: HTTP/1.1, HTTP/2 after "Upgrade: h2c"
// (curl --http2 on an http URL) and HTTP/2 with prior knowledge.
func TestCurlH2C(t *testing.T) {
	curlPath := wharftest.Tool(t, "curl", "Debian package curl")
	base, stop := exampletest.RunCommand(t, command.Run, "-h2c")
	for _, tc := range []struct {
		flag, version, path, body string
	}{
		{"--http1.1", "1.1", "/hello?name=h1", "Hello, h1!"},
		{"--http2", "2", "/hello?name=upgraded", "Hello, upgraded!"},
		{"--http2", "2", "/delay?ms=20", "delayed 20 ms"},
		{"--http2-prior-knowledge", "2", "/hello?name=prior", "Hello, prior!"},
		{"--http2-prior-knowledge", "2", "/sleep?ms=5", "slept 5 ms"},
	} {
		out, err := exec.Command(curlPath, "-sS", "--max-time", "20", tc.flag,
			"-w", "\n%{http_code} %{http_version}", base+tc.path).Output()
		want := tc.body + "\n200 " + tc.version
		if err != nil || string(out) != want {
			t.Errorf("curl %s %s = %q (%v), want %q", tc.flag, tc.path, out, err, want)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("run returned %v", err)
	}
}
