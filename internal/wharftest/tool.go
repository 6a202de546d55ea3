package wharftest

import (
	"os"
	"os/exec"
	"testing"
)

// Tool returns the path of the program name (curl, h2load, h2spec, go...),
// looked up in PATH, for a test that drives it. When it is missing, the test
// is skipped on a developer's machine, but fails when the environment
// variable CI is set (to anything but ""): CI installs every program the
// tests need (.ci/run), so a missing one there means the end-to-end tests
// would prove nothing. install says how to get the program, for the message.
//
// Every test that needs an external program asks through Tool, so that the
// skip-or-fail rule lives in one place.
func Tool(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	why := name + " not installed (" + install + ")"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; CI is set, so the test fails instead of skipping (.ci/run installs it): %v", why, err)
	}
	t.Skip(why)
	return ""
}
