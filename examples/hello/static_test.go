package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

// -static DIR serves DIR's files at /static/ (the benchmark's static-file
// scenarios start the server so), and a directory that cannot be opened
// stops the command before it listens.
func TestStaticFlag(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("static bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	base, stop := exampletest.RunCommand(t, command.Run, "-static", dir)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	client := exampletest.NewClient(t)
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/static/a.txt", 200, "static bytes"},
		{"/static/missing.txt", 404, ""},
		{"/hello", 200, "Hello, world!"},
	}
	for _, tt := range tests {
		a := exampletest.Get(t, client, base+tt.path)
		if a.Status != tt.status || (tt.body != "" && a.Body != tt.body) {
			t.Errorf("GET %s = %d %q, want %d %q", tt.path, a.Status, a.Body, tt.status, tt.body)
		}
	}

	err := command.Run(context.Background(), []string{"-addr", "127.0.0.1:0", "-static", filepath.Join(dir, "none")}, io.Discard)
	if err == nil {
		t.Error("-static with a missing directory: no error")
	}
}
