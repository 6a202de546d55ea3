// Command wharf-load is an open-loop HTTP load generator in the spirit of
// the Jetty Load Generator: loaders send requests at a fixed rate whatever
// the responses do, over a set of connections, while a probe sends a few
// requests a second whose response times are what the report is about —
// the quality of service an extra user sees under that load.
//
// Usage:
//
//	wharf-load [flags] URL
//
//	go run ./cmd/wharf-load -rate 2000 -duration 10s -probe-rate 10 http://127.0.0.1:8080/hello
//
// With HTTP/1.1 a connection carries one request at a time, so the
// loaders need about rate × response time connections: by default
// (-connections 0) they open that many for answers within -latency
// (100 ms). With fewer, requests wait in the client for a connection, the
// server is offered less than -rate, and the report (and stderr) says so
// with a WARNING and ClientQueued. The probe opens the connections it
// needs.
//
// Response times are measured from when a request was due, not from when
// it could be sent, so a server (or a client) that falls behind shows in
// the latencies instead of lowering the rate (no coordinated omission). A
// progress line goes to stderr while it runs; the report (or with -json,
// the same as JSON) goes to stdout. -h2 speaks HTTP/2: h2c with prior
// knowledge for http:// URLs, ALPN for https:// ones.
//
// Ctrl-C (or SIGTERM) stops the sending, waits for the answers to what
// was sent (each within -timeout) and reports what was measured; a second
// one stops waiting, counts what had no answer as failed, and reports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	stop, abort, cancel := interrupts(context.Background(), sigs)
	defer cancel()
	go func() {
		<-abort.Done()
		signal.Stop(sigs) // a third one ends the process at once
	}()
	if err := run(stop, abort, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // -h printed the usage: as flag.ExitOnError exits
		}
		fmt.Fprintln(os.Stderr, "wharf-load:", err)
		os.Exit(1)
	}
}

// interrupts returns a context that ends at the first value from sigs and
// one that ends at the second (each also when parent does), for Run's
// ctx and abort; cancel ends both and lets go of sigs.
func interrupts(parent context.Context, sigs <-chan os.Signal) (stop, abort context.Context, cancel func()) {
	stop, cancelStop := context.WithCancel(parent)
	abort, cancelAbort := context.WithCancel(parent)
	done := make(chan struct{})
	go func() {
		for _, end := range []context.CancelFunc{cancelStop, cancelAbort} {
			select {
			case <-sigs:
				end()
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return stop, abort, func() {
		once.Do(func() { close(done) })
		cancelStop()
		cancelAbort()
	}
}

// run parses the arguments, runs the load and writes the report. When ctx
// ends the load stops, and when abort ends the wait for its answers does
// (see Run).
func run(ctx, abort context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := Config{}
	fs := flag.NewFlagSet("wharf-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Float64Var(&cfg.Rate, "rate", 100, "loader requests a second, in all, sent whatever the responses do")
	fs.IntVar(&cfg.Connections, "connections", 0, "loader connections (0: for HTTP/1.1, enough for -rate answered within -latency; 4 for HTTP/2)")
	fs.DurationVar(&cfg.Latency, "latency", 100*time.Millisecond, "the response time expected, to size the connections when -connections is 0")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured time (after -warmup); ignored with -iterations")
	fs.IntVar(&cfg.Iterations, "iterations", 0, "measured loader requests, instead of -duration (0: use -duration)")
	fs.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "load before the measured time, not reported")
	fs.Float64Var(&cfg.ProbeRate, "probe-rate", 10, "probe requests a second, on connections of its own, as many as its requests in flight need (0: no probe)")
	fs.BoolVar(&cfg.H2, "h2", false, "speak HTTP/2 (h2c with prior knowledge for http://, ALPN for https://)")
	fs.BoolVar(&cfg.Insecure, "k", false, "accept any server certificate")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "a response later than this counts as a failure")
	fs.Func("probe-header", `a header the probe's requests carry, "Name: value" (repeatable), e.g. a priority for a QoS filter`, func(v string) error {
		k, val, ok := strings.Cut(v, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return errors.New(`want "Name: value"`)
		}
		cfg.ProbeHeader = append(cfg.ProbeHeader, [2]string{strings.TrimSpace(k), strings.TrimSpace(val)})
		return nil
	})
	asJSON := fs.Bool("json", false, "write the report as JSON")
	quiet := fs.Bool("q", false, "no progress line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("the URL to load is the last argument")
	}
	u, err := url.Parse(fs.Arg(0))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL", fs.Arg(0))
	}
	cfg.URL = u.String()
	if err := cfg.validate(); err != nil {
		return err
	}
	var progress io.Writer = stderr
	if *quiet {
		progress = nil
	}
	rep, err := Run(ctx, abort, cfg, progress)
	if err != nil {
		return err
	}
	if w := rep.Warning(); w != "" {
		fmt.Fprintln(stderr, w)
	}
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}
