package container_test

import (
	"testing"

	"github.com/wharf-go/wharf/container"
)

// TestInitParamWhileBuilding: InitParam may be called from any goroutine
// at any time, SetInitParam from any goroutine before Start, so the two
// may run at once while a context is built (run with -race).
func TestInitParamWhileBuilding(t *testing.T) {
	x := container.New().Context("/app")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			x.SetInitParam("a", "b")
		}
	}()
	for range 100 {
		if v := x.InitParam("a"); v != "" && v != "b" {
			t.Errorf("InitParam = %q", v)
		}
	}
	<-done
	if v := x.InitParam("a"); v != "b" {
		t.Errorf("InitParam = %q, want \"b\"", v)
	}
}
