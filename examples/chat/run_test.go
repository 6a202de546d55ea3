package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestRun runs the command in-process: the listening line, a join, and a
// graceful shutdown while a poll waits (it answers []).
func TestRun(t *testing.T) {
	base, stop := exampletest.RunCommand(t, command.Run)

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	resp, err := client.Post(base+"/chat/join", "application/x-www-form-urlencoded", strings.NewReader("member=z"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("join: %d", resp.StatusCode)
	}

	polled := make(chan string, 1)
	go func() {
		resp, err := client.Get(base + "/chat/poll?member=z&timeout=60000")
		if err != nil {
			polled <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		polled <- resp.Status + " " + string(b)
	}()
	// The poll must wait before the shutdown begins; its stats come on a
	// connection of their own.
	statsTr := &http.Transport{}
	p := &process{t: t, base: base, client: &http.Client{Transport: statsTr, Timeout: 20 * time.Second}}
	wharftest.WaitFor(t, "the poll to suspend", func() bool { return p.stats().Polling == 1 })
	statsTr.CloseIdleConnections()
	tr.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Errorf("run returned %v, want nil", err)
	}
	if got := <-polled; got != "200 OK []\n" {
		t.Errorf("poll during shutdown = %q, want \"200 OK []\\n\"", got)
	}
}
