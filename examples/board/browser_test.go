package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/wharftest"
)

// chromiumBinary is Debian's real Chromium; /usr/bin/chromium is a shell
// script around it that puppeteer cannot drive.
const chromiumBinary = "/usr/lib/chromium/chromium"

// browserTools returns node's path once node, Chromium and the scripts'
// node_modules are all there. Like every test that drives an outside
// program, a browser test skips when one is missing, and fails instead
// when CI is set.
func browserTools(t *testing.T) string {
	t.Helper()
	node := wharftest.Tool(t, "node", "apt-get install nodejs")
	wharftest.Tool(t, chromiumBinary, "apt-get install chromium")
	if _, err := os.Stat(filepath.Join("browsertest", "node_modules", "puppeteer-core")); err != nil {
		why := "browsertest/node_modules is missing (npm ci in examples/board/browsertest)"
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI is set, so the test fails instead of skipping (.ci/run installs it): %v", why, err)
		}
		t.Skip(why)
	}
	return node
}

// TestBrowser has headless Chromium use the page as a person would
// (browsertest/board.mjs: log in through the form, post with a file
// attached, see both, download the file's bytes; post with a file too
// big, and find the form cleared and told that the file is not attached;
// once its session ended
// behind the page's back, be refused the post's deletion, and then a new
// post, with the board's own words, and be shown the login form; drop a
// post deleted while its EventSource had given up), then checks on the
// API that the post and its attachment arrived. Like every test that drives an
// outside program, it skips when node, Chromium or the script's
// node_modules are missing, and fails instead when CI is set.
func TestBrowser(t *testing.T) {
	node := browserTools(t)
	b := startBoard(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "board.mjs", b.base)
	cmd.Dir = "browsertest"
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromiumBinary)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node board.mjs: %v\n%s", err, out)
	}
	t.Logf("%s", out)

	a := send(t, newUser(t), "GET", b.base+"/api/posts", nil, nil)
	if a.Status != 200 || !strings.Contains(a.Body, `"user":"ann","text":"hello from Chromium `) || !strings.Contains(a.Body, `.bin","size":512}]`) {
		t.Errorf("after the browser: GET /api/posts = %v", a)
	}
}

// TestBrowserEvents has two users' pages, each in a browser of its own,
// follow /events (browsertest/events.mjs): ann's page on instance B, bob's
// on A, the two sharing A's embedded NATS broker. Each one's post appears
// on both pages without a reload. Then B is shut down and started again
// on the same address, as the script asks; bob posts on A meanwhile, and
// ann's page, whose EventSource reconnects to the new B with the last ID
// it saw, shows that post. The replay comes from the JetStream stream in
// A's broker, which outlives B: that is why the restart is of B, the
// instance without the broker (a board alone would lose its log, kept in
// its broker's temporary directory or in its memory, with the rest).
func TestBrowserEvents(t *testing.T) {
	node := browserTools(t)
	broker := freeAddr(t)
	a := startBoard(t, "-nats-embed", broker)
	bAddr := freeAddr(t)
	bArgs := []string{"-nats", "nats://" + broker, "-addr", bAddr}
	b := startBoard(t, bArgs...)

	restarted := false
	converse(t, node, func(line string) string {
		switch line {
		case "restart B":
			if err := b.stop(); err != nil {
				t.Errorf("B's shutdown: %v", err)
			}
			return "B stopped"
		case "start B":
			b2 := startBoard(t, bArgs...)
			if b2.base != b.base {
				t.Errorf("B came back at %s, not %s", b2.base, b.base)
			}
			restarted = true
			return "B started"
		}
		return ""
	}, "events.mjs", a.base, b.base)
	if !restarted {
		t.Fatal("the script passed without restarting B")
	}

	// The posts are where they were made.
	if got := send(t, newUser(t), "GET", a.base+"/api/posts", nil, nil); got.Status != 200 || strings.Count(got.Body, `"user":"bob"`) != 2 || strings.Contains(got.Body, `"ann"`) {
		t.Errorf("A's posts after the browsers: %v, want bob's two", got)
	}
}

// TestBrowserRestart has a page follow a board alone across its restart
// (browsertest/restart.mjs), which loses the board's posts: the page read
// a post from the list and got no event, so that its EventSource
// reconnects with no ID, and nothing tells it of the loss but the list.
// Back live, it must show no post, as the new board has none.
func TestBrowserRestart(t *testing.T) {
	node := browserTools(t)
	addr := freeAddr(t)
	args := []string{"-addr", addr}
	b := startBoard(t, args...)
	c := newUser(t)
	login(t, c, b.base, "ann")
	id := post(t, c, b.base, "lost in the restart")

	restarted := false
	converse(t, node, func(line string) string {
		if line != "restart" {
			return ""
		}
		c.CloseIdleConnections()
		if err := b.stop(); err != nil {
			t.Errorf("the board's shutdown: %v", err)
		}
		if b2 := startBoard(t, args...); b2.base != b.base {
			t.Errorf("the board came back at %s, not %s", b2.base, b.base)
		}
		restarted = true
		return "restarted"
	}, "restart.mjs", b.base, strconv.FormatInt(id, 10))
	if !restarted {
		t.Fatal("the script passed without restarting the board")
	}
}

// converse runs the browser script with args in browsertest and answers
// its requests, one a line on its stdout, with what answer returns for
// each, written to its stdin as a line; a line answer returns "" for is
// not a request, and is logged. It fails t if the script fails.
func converse(t *testing.T, node string, answer func(line string) string, script string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = "browsertest"
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromiumBinary)
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if a := answer(lines.Text()); a != "" {
			io.WriteString(stdin, a+"\n")
		} else {
			t.Log(lines.Text())
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.Bytes())
	}
}
