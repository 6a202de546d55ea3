package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func curl(t *testing.T, curlPath string, args ...string) (status, body string) {
	t.Helper()
	args = append([]string{"-sS", "--max-time", "20", "-w", "\n%{http_code}"}, args...)
	out, err := exec.Command(curlPath, args...).Output()
	if err != nil {
		t.Fatalf("curl %v: %v", args, err)
	}
	s := string(out)
	i := strings.LastIndexByte(s, '\n')
	return s[i+1:], s[:i]
}

// TestCurl drives the server with the real curl binary: the listening line,
// every kind of endpoint, and a graceful shutdown that expires a suspended
// request early instead of cutting it off.
func TestCurl(t *testing.T) {
	curlPath := wharftest.Tool(t, "curl", "Debian package curl")
	base, stop := exampletest.RunCommand(t, command.Run)

	tests := []struct {
		path, status, body string
	}{
		{"/hello", "200", "Hello, world!"},
		{"/hello?name=curl", "200", "Hello, curl!"},
		{"/sleep?ms=10", "200", "slept 10 ms"},
		{"/delay?ms=30", "200", "delayed 30 ms"},
		{"/cpu?n=1", "200", "8748534153485358512"},
		{"/sleep?ms=x", "400", "400 Bad Request: ms must be an integer between 0 and 60000\n"},
		{"/missing", "404", "404 Not Found\n"},
	}
	for _, tt := range tests {
		status, body := curl(t, curlPath, base+tt.path)
		if status != tt.status || body != tt.body {
			t.Errorf("curl %s = %s %q, want %s %q", tt.path, status, body, tt.status, tt.body)
		}
	}

	// HTTP/1.1 keep-alive: curl reuses one connection for several URLs.
	out, err := exec.Command(curlPath, "-sS", "--max-time", "20", "-w", "\n%{http_code} %{num_connects}\n",
		base+"/hello?name=a", base+"/hello?name=b").Output()
	if want := "Hello, a!\n200 1\nHello, b!\n200 0\n"; err != nil || string(out) != want {
		t.Errorf("two URLs on one curl: %q (%v), want %q (the second on the same connection)", out, err, want)
	}

	start := time.Now()
	if err := stop(); err != nil {
		t.Errorf("run returned %v after stop, want nil", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("graceful shutdown took %v", d)
	}
}

// TestCurlShutdownExpiresDelay checks, with curl as the client, that a
// graceful shutdown expires a request suspended for a minute and answers it
// through its normal path, instead of cutting it off or waiting.
func TestCurlShutdownExpiresDelay(t *testing.T) {
	curlPath := wharftest.Tool(t, "curl", "Debian package curl")
	c := newContainer()
	base, stop := exampletest.Serve(t, c)

	type res struct{ status, body string }
	pending := make(chan res, 1)
	go func() {
		out, err := exec.Command(curlPath, "-sS", "--max-time", "30", "-w", "\n%{http_code}",
			base+"/delay?ms=60000").Output()
		if err != nil {
			pending <- res{"error", err.Error()}
			return
		}
		s := string(out)
		i := strings.LastIndexByte(s, '\n')
		pending <- res{s[i+1:], s[:i]}
	}()
	if st, ok := exampletest.WaitStats(c, 10*time.Second, func(st container.Stats) bool { return st.Suspended == 1 }); !ok {
		t.Fatalf("the curl request never suspended: %+v", st)
	}

	start := time.Now()
	stop() // shuts down gracefully; fails the test unless Serve returns ErrServerClosed
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("graceful shutdown took %v", d)
	}
	if r := <-pending; r.status != "200" || r.body != "delayed 60000 ms" {
		t.Errorf("suspended request during shutdown: %s %q, want 200 \"delayed 60000 ms\"", r.status, r.body)
	}
}

// TestBinarySignal builds the real command, starts it, and checks the
// listening line, an answer, and a clean exit on SIGINT and SIGTERM.
func TestBinarySignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := buildOnce(t)
	client := exampletest.NewClient(t)
	for _, sig := range []os.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		base, ok := exampletest.Listening(line)
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("first line %q (%v)", line, err)
		}
		if a := exampletest.Get(t, client, base+"/hello?name=bin"); a.Status != 200 || a.Body != "Hello, bin!" {
			t.Errorf("GET /hello: %d %q", a.Status, a.Body)
		}
		if sig == syscall.SIGINT {
			// The CPU profile and the trace are written by runtime goroutines
			// while the pprof handler waits, which net/http allows. They are
			// checked against the real binary only: in a test binary the
			// library's goroutine-ownership assertions panic on those writes.
			for _, path := range []string{"/debug/pprof/profile?seconds=1", "/debug/pprof/trace?seconds=0.2"} {
				a := exampletest.Get(t, client, base+path)
				if a.Status != 200 || len(a.Body) == 0 {
					t.Errorf("GET %s: %d, %d bytes", path, a.Status, len(a.Body))
				}
				if strings.Contains(path, "profile") && !strings.HasPrefix(a.Body, "\x1f\x8b") {
					t.Errorf("GET %s: not a gzipped profile: %q...", path, a.Body[:min(len(a.Body), 16)])
				}
			}
		}
		client.CloseIdleConnections()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case err := <-waited:
			if err != nil {
				t.Errorf("after %v: exit %v, want 0", sig, err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-waited
			t.Errorf("still running 15 s after %v", sig)
		}
	}
}

var (
	buildMu  sync.Mutex
	buildBin string // the built command, once built
	buildDir string
)

// buildOnce builds the command once per test process (-count and -cpu run
// tests several times) and returns its path.
func buildOnce(t *testing.T) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildBin != "" {
		return buildBin
	}
	goTool := wharftest.Tool(t, "go", "https://go.dev/dl")
	var err error
	if buildDir, err = os.MkdirTemp("", "wharf-hello-"); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(buildDir, "hello")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	buildBin = bin
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	if code == 0 {
		// No goroutine may outlive the tests (the servers run in-process).
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
