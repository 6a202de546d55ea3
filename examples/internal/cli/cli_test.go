package cli

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/container"
)

// TestRunRefusesStrayArguments: flag parsing stops at the first argument
// that is not a flag, so "hello 127.0.0.1:9090 -addr 127.0.0.1:9091" would
// otherwise listen on DefaultAddr, dropping both in silence.
func TestRunRefusesStrayArguments(t *testing.T) {
	built := false
	cmd := Command{Name: "test", Build: func(opts ...container.Option) *container.Container {
		built = true
		return container.New(opts...)
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := cmd.Run(ctx, []string{"127.0.0.1:0", "-addr", "127.0.0.1:0"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Fatalf("Run = %v, want an error naming the unexpected arguments", err)
	}
	if built {
		t.Error("the container was built before the arguments were checked")
	}
}
