package owner

import "testing"

func TestOwnership(t *testing.T) {
	if !Enabled() {
		t.Fatal("checks must be enabled in tests")
	}
	var g Goroutine
	g.Acquire()
	g.Check()
	if !g.Owned() {
		t.Fatal("owner not recognised")
	}
	panicked := make(chan any)
	go func() {
		defer func() { panicked <- recover() }()
		g.Check()
	}()
	if p := <-panicked; p == nil {
		t.Fatal("Check on another goroutine did not panic")
	}
	go func() {
		defer func() { panicked <- recover() }()
		g.Acquire()
	}()
	if p := <-panicked; p == nil {
		t.Fatal("second Acquire did not panic")
	}
	g.Release()
	go func() {
		defer func() { panicked <- recover() }()
		g.Acquire()
		g.Release()
	}()
	if p := <-panicked; p != nil {
		t.Fatalf("Acquire after Release panicked: %v", p)
	}
}
