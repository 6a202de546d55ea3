package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-go/wharf/bench/internal/delivery"
)

// ChatResult is the WebSocket chat benchmark: examples/wschat under the
// seed's CometD load (wharf-chatload's report).
type ChatResult struct {
	delivery.Chat
	Err string
}

// Targets of the chat benchmark (issue: p99 at most 30 ms, none lost).
const chatP99Target = 30 * time.Millisecond

// buildChat builds examples/wschat and the load generator.
func buildChat(ctx context.Context, root, benchDir, binDir string) (server, load string, err error) {
	server, load = filepath.Join(binDir, "wschat"), filepath.Join(binDir, "wharf-chatload")
	for _, b := range []struct{ dir, pkg, out string }{{root, "./examples/wschat", server}, {benchDir, "./cmd/wharf-chatload", load}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", b.out, b.pkg)
		cmd.Dir = b.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return server, load, nil
}

// chatTest runs examples/wschat pinned to the server CPU and the load on
// the client CPU.
func chatTest(ctx context.Context, cfg Config, serverBin, loadBin, logPath string) ChatResult {
	fail := func(err error) ChatResult { return ChatResult{Err: err.Error()} }
	p, err := startServer(ctx, serverBin, cfg.ServerCPU, logPath)
	if err != nil {
		return fail(err)
	}
	defer p.stop()
	wsURL := "ws" + strings.TrimPrefix(p.url, "http") + "/ws"
	cmd := exec.CommandContext(ctx, "taskset", "-c", strconv.Itoa(cfg.ClientCPU), loadBin,
		"-url", wsURL, "-json", "-duration", cfg.ChatDuration.String(), "-warmup", "2s", "-drain", "2s")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return fail(fmt.Errorf("%v: %s", err, ee.Stderr))
		}
		return fail(err)
	}
	var r ChatResult
	if err := json.Unmarshal(out, &r.Chat); err != nil {
		return fail(fmt.Errorf("reading the load's report: %v (%q)", err, out))
	}
	return r
}

// renderChat writes the chat section.
func renderChat(p func(string, ...any), c *ChatResult) {
	p("\n## WebSocket chat (the seed's CometD benchmark)\n\n")
	p("`examples/wschat` (pinned to the server CPU) under `bench/cmd/wharf-chatload`\n")
	p("(pinned to the other CPU, the same machine): ")
	if c.Err != "" {
		p("\n\nfailed: %s\n", c.Err)
		return
	}
	p("%s members over WebSocket, %d rooms, each member in %d rooms (so %s members a room);\n",
		fmtInt(float64(c.Clients)), c.Rooms, c.Per, fmtInt(float64(c.Clients*c.Per/c.Rooms)))
	p("messages sent at %s/s in all, each to one room, for %s after a 2 s warm-up; every\n", fmtInt(c.Rate), secs(c.Duration))
	p("delivery's latency is measured from the send time it carries. Lost = deliveries\n")
	p("expected but not received within 2 s after the end. Send lag max = how late\n")
	p("against its schedule the most delayed message was sent (one sender, open\n")
	p("loop): a wait the latencies, taken from the send time, do not include.\n\n")
	p("| sent | delivered / expected | lost | deliveries/s | min | avg | p50 | p99 | p99.9 | max | send lag max |\n")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	p("| %s | %s / %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", fmtInt(float64(c.Sent)), fmtInt(float64(c.Received)), fmtInt(float64(c.Expected)),
		fmtInt(float64(c.Lost)), fmtInt(c.DeliveredPerSec), fmtDur(c.Min), fmtDur(c.Avg), fmtDur(c.P50), fmtDur(c.P99), fmtDur(c.P999), fmtDur(c.Max), fmtDur(c.SendLagMax))
	p("\nThe seed's figures, on a 12-core server: Jetty async p99 35.8 ms, Jetty\n")
	p("with Loom p99 29.7 ms, none lost. The target here, on 2 cores with the load\n")
	p("generator on the same machine: p99 at most 30 ms and no message lost.\n")
}

// chatTargets returns the chat benchmark's target lines.
func chatTargets(res *Results) []target {
	c := res.Chat
	if c == nil || c.Err != "" {
		return []target{{"WebSocket chat: p99 ≤ 30 ms, none lost", notMeasured, notMeasured}}
	}
	return []target{
		{"WebSocket chat (1,000 members, 100 rooms, 1,000 messages/s): p99 ≤ 30 ms", fmtDur(c.P99), verdict(c.P99 <= chatP99Target)},
		{"WebSocket chat: no message lost", fmt.Sprintf("%s of %s lost", fmtInt(float64(c.Lost)), fmtInt(float64(c.Expected))), verdict(c.Lost == 0)},
	}
}
