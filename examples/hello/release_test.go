package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

// What the command's builder readies for /events, its release gives back,
// the Broker first (before the NATS connection and broker its log uses):
// a stream still open ends, and an event published after is refused (503).
func TestReleaseClosesEvents(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{name: "in memory"},
		{name: "nats-embed", args: []string{"-nats-embed", "127.0.0.1:0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("hello", flag.ContinueOnError)
			build := command.Flags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			c, release, err := build()
			if err != nil {
				t.Fatal(err)
			}
			base, _ := exampletest.Serve(t, c)
			client := exampletest.NewClient(t)

			// A stream that outlives its Broker would wait for the
			// client to give up: 10 s is the test's bound.
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, "GET", base+"/events/t", nil)
			if err != nil {
				t.Fatal(err)
			}
			stream, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Body.Close()
			if stream.StatusCode != http.StatusOK {
				t.Fatalf("GET /events/t: %s", stream.Status)
			}

			release()

			resp, err := client.Post(base+"/publish/t", "text/plain", strings.NewReader("late"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("POST /publish/t after release: %s, want 503", resp.Status)
			}
			if _, err := io.Copy(io.Discard, stream.Body); err != nil {
				t.Errorf("the stream open at release: %v, want its end", err)
			}
		})
	}
}
