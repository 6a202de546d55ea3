package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
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

// Flags that cannot go together are refused before anything is built or
// listened on, each with an error that says why.
func TestRunRefusesFlagCombinations(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-cert", "c.pem"}, "-cert and -key go together"},
		{[]string{"-h3"}, "-h3 needs -tls"},
		{[]string{"-tls", "-h2c"}, "-h2c is for a cleartext port"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			built := false
			cmd := Command{Name: "test", Build: func(opts ...container.Option) *container.Container {
				built = true
				return container.New(opts...)
			}}
			err := cmd.Run(context.Background(), append(tc.args, "-addr", "127.0.0.1:0"), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v, want an error saying %q", err, tc.want)
			}
			if built {
				t.Error("the container was built before the flags were checked")
			}
		})
	}
}

// Main exits 0 for -h, which printed the usage as asked (as a flag set
// with flag.ExitOnError does), 2 for a command line it refuses, saying
// why once (an undefined flag was said twice, by the flag package and
// again by Main, and exited 1), and 1 for a failure. The test runs Main
// in a child process, this test binary again.
func TestMainExitCodes(t *testing.T) {
	if args := os.Getenv("CLI_TEST_MAIN_ARGS"); args != "" {
		os.Args = append([]string{"test"}, strings.Fields(args)...)
		Command{Name: "test", Build: container.New}.Main()
		return
	}
	for _, tt := range []struct {
		args string
		code int
		once string // said once on stderr
	}{
		{"-h", 0, "Usage of test:"},
		{"-no-such-flag", 2, "flag provided but not defined: -no-such-flag"},
		{"stray", 2, `test: unexpected arguments: ["stray"]`},
		{"-h3", 2, "test: -h3 needs -tls"},
		{"-cert /nonexistent.pem -key /nonexistent.pem", 1, "test: open /nonexistent.pem"},
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
		if n := strings.Count(stderr.String(), tt.once); n != 1 {
			t.Errorf("%s wrote %q %d times, want once (stderr %q)", tt.args, tt.once, n, stderr.String())
		}
	}
}

// The first SIGINT starts the graceful shutdown, and a second one kills
// the process at once (README's shutdown idiom), rather than waiting out
// ShutdownTimeout for a request that does not end. The test runs Main in a
// child process, this test binary again, with a handler that never
// returns.
func TestSecondSignalKills(t *testing.T) {
	if os.Getenv("CLI_TEST_SECOND_SIGNAL") != "" {
		os.Args = []string{"test", "-addr", "127.0.0.1:0"}
		Command{Name: "test", Build: func(opts ...container.Option) *container.Container {
			c := container.New(opts...)
			c.HandleFunc("/block", func(w api.Response, r *api.Request) error {
				if _, err := w.WriteString("blocking"); err != nil {
					return err
				}
				if err := w.Flush(); err != nil {
					return err
				}
				select {} // holds the graceful shutdown up
			})
			c.RegisterOnShutdown(func() { fmt.Println("shutting down") })
			return c
		}}.Main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondSignalKills$")
	cmd.Env = append(os.Environ(), "CLI_TEST_SECOND_SIGNAL=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewReader(stdout)
	line, err := lines.ReadString('\n')
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("first line %q (%v)", line, err)
	}
	resp, err := http.Get(base + "/block") // answers its head; the handler runs on
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if line, err := lines.ReadString('\n'); line != "shutting down\n" {
		t.Fatalf("after the first SIGINT: %q (%v), want the shutdown to begin", line, err)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout)
	start := time.Now()
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != -1 {
		t.Fatalf("after a second SIGINT: %v (after %v), want the process killed by it", err, time.Since(start))
	}
}
