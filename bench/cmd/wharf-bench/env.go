package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Env describes the machine and the software a run measured.
type Env struct {
	Date      string
	CPU       string // model name in /proc/cpuinfo
	CPUs      int
	MemTotal  string
	Kernel    string
	GoVersion string
	Wrk       string
	Commit    string // of the Wharf repository, if it is a git work tree
	Modules   []string
	Nofile    uint64
}

func environment(root, benchDir string, nofile uint64) Env {
	e := Env{Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), CPUs: runtime.NumCPU(), Nofile: nofile}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		first, _, _ := strings.Cut(string(b), "\n")
		if v, ok := strings.CutPrefix(first, "MemTotal:"); ok {
			if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64); err == nil {
				e.MemTotal = fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		e.Kernel = strings.TrimSpace(string(b))
	}
	e.GoVersion = output(root, "go", "env", "GOVERSION")
	e.Wrk, _, _ = strings.Cut(output(root, "wrk", "-v"), "\n")
	e.Wrk = strings.TrimSpace(strings.SplitN(e.Wrk, "Copyright", 2)[0])
	e.Commit = output(root, "git", "rev-parse", "--short", "HEAD")
	if mods := output(benchDir, "go", "list", "-m", "github.com/valyala/fasthttp", "github.com/lesismal/nbio"); mods != "" {
		e.Modules = strings.Split(mods, "\n")
	}
	return e
}

// output runs a command in dir and returns its trimmed output, or "" if it
// failed.
func output(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil && len(out) == 0 {
		return ""
	}
	if err != nil && name != "wrk" { // wrk -v exits 1 after printing its version
		return ""
	}
	return strings.TrimSpace(string(out))
}
