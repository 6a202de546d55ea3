package lazydone

import "testing"

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
