package connlimit

import (
	"sync"
	"testing"
	"time"
)

// listener is a Pausable that counts its pauses and resumes.
type listener struct {
	mu              sync.Mutex
	pauses, resumes int
}

func (l *listener) Pause()  { l.mu.Lock(); l.pauses++; l.mu.Unlock() }
func (l *listener) Resume() { l.mu.Lock(); l.resumes++; l.mu.Unlock() }

func (l *listener) counts() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pauses, l.resumes
}

func TestReserve(t *testing.T) {
	l := New(2)
	ln := &listener{}
	steps := []struct {
		name            string
		do              func() bool
		want            bool
		pauses, resumes int
	}{
		{"first slot", func() bool { return l.Reserve(ln) }, true, 0, 0},
		{"second slot", func() bool { return l.Reserve(ln) }, true, 0, 0},
		{"at the limit: paused", func() bool { return l.Reserve(ln) }, false, 1, 0},
		{"a reservation turns into a connection", func() bool { l.Opened(true); return true }, true, 1, 0},
		{"still at the limit", func() bool { return l.Reserve(nil) }, false, 1, 0},
		{"an unused reservation frees a slot: resumed", func() bool { l.Unreserve(); return true }, true, 1, 1},
		{"the freed slot", func() bool { return l.Reserve(ln) }, true, 1, 1},
		{"full again: paused", func() bool { return l.Reserve(ln) }, false, 2, 1},
		{"a connection closes: resumed", func() bool { l.Closed(); return true }, true, 2, 2},
		{"a connection without a reservation", func() bool { l.Opened(false); return true }, true, 2, 2},
		{"full", func() bool { return l.Reserve(ln) }, false, 3, 2},
		{"forgotten: not resumed", func() bool { l.Forget(ln); l.Closed(); return true }, true, 3, 2},
		{"closed: refused", func() bool { l.Close(); return l.Reserve(ln) }, false, 3, 2},
	}
	for _, s := range steps {
		got := s.do()
		p, r := ln.counts()
		if got != s.want || p != s.pauses || r != s.resumes {
			t.Fatalf("%s: %v with %d pauses, %d resumes; want %v, %d, %d", s.name, got, p, r, s.want, s.pauses, s.resumes)
		}
	}
}

func TestCloseForgetsPaused(t *testing.T) {
	l := New(1)
	ln := &listener{}
	l.Reserve(ln)
	l.Opened(true)
	if l.Reserve(ln) {
		t.Fatal("a slot over the limit")
	}
	l.Close()
	l.Closed()
	if _, r := ln.counts(); r != 0 {
		t.Fatal("a listener paused before Close was resumed after it")
	}
}

func TestNoLimit(t *testing.T) {
	l := New(0)
	for range 100 {
		if !l.Reserve(nil) {
			t.Fatal("Reserve refused without a limit")
		}
		l.Opened(true)
	}
	if !l.Wait() {
		t.Fatal("Wait refused without a limit")
	}
	l.Close()
	if l.Reserve(nil) || l.Wait() {
		t.Fatal("a closed limit still accepts")
	}
}

func TestWait(t *testing.T) {
	l := New(1)
	l.Opened(false)
	woke := make(chan bool)
	go func() { woke <- l.Wait() }()
	select {
	case <-woke:
		t.Fatal("Wait returned at the limit")
	case <-time.After(20 * time.Millisecond):
	}
	l.Closed()
	if !<-woke {
		t.Fatal("Wait refused a freed slot")
	}
	// Waiting does not reserve: two waiters both go on.
	for range 2 {
		if !l.Wait() {
			t.Fatal("Wait refused under the limit")
		}
	}
	l.Opened(false)
	go func() { woke <- l.Wait() }()
	time.Sleep(10 * time.Millisecond)
	l.Close()
	if <-woke {
		t.Fatal("Wait went on after Close")
	}
}
