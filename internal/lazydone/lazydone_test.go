package lazydone

import (
	"sync"
	"sync/atomic"
	"testing"
)

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Asked before the end, after it, or never: the channel is closed exactly
// when it is over, and End says whether it ended it.
func TestLazyDone(t *testing.T) {
	tests := []struct {
		name        string
		askBefore   bool
		askAfter    bool
		endTwice    bool
		wantMadeNil bool // *ch still nil at the end: nobody asked before the end
	}{
		{"asked before", true, true, false, false},
		{"asked after", false, true, false, true},
		{"never asked", false, false, true, true},
		{"asked before, ended twice", true, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ch chan struct{}
			var over bool
			var before <-chan struct{}
			if tt.askBefore {
				before = Chan(&ch, over)
				if isClosed(before) {
					t.Fatal("closed before the end")
				}
				if again := Chan(&ch, over); again != before {
					t.Fatal("a second ask got another channel")
				}
			}
			if !End(&ch, &over) || !over {
				t.Fatal("End did not end it")
			}
			if tt.endTwice && End(&ch, &over) {
				t.Error("a second End reported ending it")
			}
			if before != nil && !isClosed(before) {
				t.Error("the channel asked for before is not closed at the end")
			}
			if tt.askAfter && !isClosed(Chan(&ch, over)) {
				t.Error("the channel asked for after the end is not closed")
			}
			if (ch == nil) != tt.wantMadeNil {
				t.Errorf("channel made: %v, want %v", ch != nil, !tt.wantMadeNil)
			}
		})
	}
}

// Closed is the channel a late asker gets: closed, and shared.
func TestClosed(t *testing.T) {
	var ch chan struct{}
	if !isClosed(Closed()) || Chan(&ch, true) != Closed() {
		t.Fatal("Closed is not the closed channel Chan gives a late asker")
	}
}

// Word behaves as Chan and End do, asked before the end, after it, or
// never, and ended once or twice.
func TestWord(t *testing.T) {
	tests := []struct {
		name      string
		askBefore bool
		askAfter  bool
		endTwice  bool
	}{
		{"asked before", true, true, false},
		{"asked after", false, true, false},
		{"never asked", false, false, true},
		{"asked before, ended twice", true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Word
			var before <-chan struct{}
			if tt.askBefore {
				before = d.Chan()
				if isClosed(before) || d.Over() {
					t.Fatal("over before the end")
				}
				if d.Chan() != before {
					t.Fatal("a second ask got another channel")
				}
			}
			if !d.End() || !d.Over() {
				t.Fatal("End did not end it")
			}
			if tt.endTwice && d.End() {
				t.Error("a second End reported ending it")
			}
			if before != nil && (!isClosed(before) || d.Chan() != before) {
				t.Error("the channel asked for before is not the closed one at the end")
			}
			if tt.askAfter && !isClosed(d.Chan()) {
				t.Error("the channel asked for after the end is not closed")
			}
		})
	}
}

// Askers and enders racing on one Word: exactly one End reports ending
// it, every asker gets a channel that closes, and all who asked before
// the end got the same one.
func TestWordRace(t *testing.T) {
	for range 200 {
		var d Word
		var ends atomic.Int32
		chans := make([]<-chan struct{}, 8)
		var wg sync.WaitGroup
		for i := range chans {
			wg.Add(2)
			go func() { defer wg.Done(); chans[i] = d.Chan() }()
			go func() {
				defer wg.Done()
				if d.End() {
					ends.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := ends.Load(); n != 1 {
			t.Fatalf("%d Ends reported ending it, want 1", n)
		}
		var open <-chan struct{}
		for _, c := range chans {
			if !isClosed(c) {
				t.Fatal("a channel stayed open after the end")
			}
			if c != Closed() {
				if open != nil && c != open {
					t.Fatal("two askers before the end got different channels")
				}
				open = c
			}
		}
	}
}
