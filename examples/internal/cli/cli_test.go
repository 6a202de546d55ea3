package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/container"
)

// TestRunRefusesStrayArguments: flag parsing stops at the first argument
// that is not a flag, so "hello 127.0.0.1:9090 -addr 127.0.0.1:9091" would
// otherwise listen on DefaultAddr, dropping both in silence.
func TestRunRefusesStrayArguments(t *testing.T) {
	built := false
	cmd := Command{Name: "test", Build: func(opts ...container.Option) *container.Container {
		built = true
		return container.New(opts...)
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := cmd.Run(ctx, []string{"127.0.0.1:0", "-addr", "127.0.0.1:0"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Fatalf("Run = %v, want an error naming the unexpected arguments", err)
	}
	if built {
		t.Error("the container was built before the arguments were checked")
	}
}

// Main exits 0 for -h, which printed the usage as asked (as a flag set
// with flag.ExitOnError does), and 1 for a failure. The test runs Main in
// a child process, this test binary again.
func TestMainExitCodes(t *testing.T) {
	if args := os.Getenv("CLI_TEST_MAIN_ARGS"); args != "" {
		os.Args = append([]string{"test"}, strings.Fields(args)...)
		Command{Name: "test", Build: container.New}.Main()
		return
	}
	for _, tt := range []struct {
		args string
		code int
	}{
		{"-h", 0},
		{"-no-such-flag", 1},
		{"stray", 1},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMainExitCodes$")
		cmd.Env = append(os.Environ(), "CLI_TEST_MAIN_ARGS="+tt.args)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.code {
			t.Errorf("%s exited %d, want %d (stderr %q)", tt.args, code, tt.code, stderr.String())
		}
	}
}
