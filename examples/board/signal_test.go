package main

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

// The first SIGINT starts the graceful shutdown, and a second one kills
// the process at once (README's shutdown idiom, and main's doc), rather
// than being swallowed while the shutdown waits, up to shutdownTimeout,
// for a request still in flight. The test runs main in a child process,
// this test binary again; a post whose body stops coming holds the
// shutdown. The killed child removes nothing, so its attachments go to a
// directory of the test's (the variable names it) rather than a temporary
// directory of its own, which would be left behind.
func TestSecondSignalKills(t *testing.T) {
	if dir := os.Getenv("BOARD_TEST_SECOND_SIGNAL"); dir != "" {
		os.Args = []string{"board", "-addr", "127.0.0.1:0", "-attachments", dir}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondSignalKills$")
	cmd.Env = append(os.Environ(), "BOARD_TEST_SECOND_SIGNAL="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	defer func() {
		cmd.Process.Kill() // a test that failed early
		<-exited
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	base, ok := exampletest.Listening(line)
	if err != nil || !ok {
		t.Fatalf("first line %q (%v)", line, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	cookie := strings.SplitN(login(t, newUser(t), base, "ann"), ";", 2)[0]

	// An idle connection, which the shutdown closes as it begins.
	idle, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	idleBR := bufio.NewReader(idle)
	req, _ := http.NewRequest("GET", base+"/api/posts", nil)
	if err := req.Write(idle); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(idleBR, req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp.Body)

	// A post whose handler is reading its body (the 100 Continue says
	// so), of which one byte of 20 comes.
	held, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := held.Write([]byte("POST /api/posts HTTP/1.1\r\nHost: " + u.Host + "\r\nCookie: " + cookie +
		"\r\nContent-Type: application/json\r\nContent-Length: 20\r\nExpect: 100-continue\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(held).ReadString('\n'); line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("the held post: %q (%v), want 100 Continue", line, err)
	}
	if _, err := held.Write([]byte("{")); err != nil {
		t.Fatal(err)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if b, err := idleBR.ReadByte(); err == nil {
		t.Fatalf("the idle connection read %q, want it closed by the shutdown", b)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-exited
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("after a second SIGINT the board exited with %v once the shutdown ended, want killed by the signal at once", waitErr)
	}
}

// A command line the board refuses exits 2, as flag.ExitOnError does, and
// says why once: a flag the flag package refused is its message and the
// usage, not that message again from the board. It exited 1, and wrote an
// undefined flag's error twice.
func TestUsageExit(t *testing.T) {
	if args := os.Getenv("BOARD_TEST_USAGE"); args != "" {
		os.Args = append([]string{"board"}, strings.Fields(args)...)
		main()
		return
	}
	for _, tc := range []struct {
		args, want string
	}{
		{"-no-such-flag", "flag provided but not defined: -no-such-flag"},
		{"stray", `board: unexpected arguments: ["stray"]`},
		{"-h3", "board: -h3 needs -tls"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUsageExit$")
		cmd.Env = append(os.Environ(), "BOARD_TEST_USAGE="+tc.args)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("board %s: %v, want exit status 2", tc.args, err)
		}
		if got := strings.Count(stderr.String(), tc.want); got != 1 {
			t.Errorf("board %s wrote %q %d times, want once:\n%s", tc.args, tc.want, got, stderr.String())
		}
	}
}
