package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/wharftest"
)

// chromiumBinary is Debian's real Chromium; /usr/bin/chromium is a shell
// script around it that puppeteer cannot drive.
const chromiumBinary = "/usr/lib/chromium/chromium"

// TestBrowser has headless Chromium use the page as a person would
// (browsertest/board.mjs: log in through the form, post with a file
// attached, see both, download the file's bytes), then checks on the API
// that the post and its attachment arrived. Like every test that drives an
// outside program, it skips when node, Chromium or the script's
// node_modules are missing, and fails instead when CI is set.
func TestBrowser(t *testing.T) {
	node := wharftest.Tool(t, "node", "apt-get install nodejs")
	wharftest.Tool(t, chromiumBinary, "apt-get install chromium")
	if _, err := os.Stat(filepath.Join("browsertest", "node_modules", "puppeteer-core")); err != nil {
		why := "browsertest/node_modules is missing (npm ci in examples/board/browsertest)"
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI is set, so the test fails instead of skipping (.ci/run installs it): %v", why, err)
		}
		t.Skip(why)
	}

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
