package exchange

import "testing"

// nextToken never hands out 0 (no task), the first task's token after the
// first task, or the finishing phase's, including when the counter wraps.
func TestNextTokenSkipsFixedTokens(t *testing.T) {
	tests := []struct {
		next, want uint32
	}{
		{0, firstToken},
		{firstToken, firstToken + 1},
		{finishToken - 2, finishToken - 1},
		{finishToken - 1, firstToken + 1}, // wraps past finishToken, 0 and firstToken
	}
	for _, tt := range tests {
		ex := &Exchange{next: tt.next}
		if got := ex.nextToken(); got != tt.want {
			t.Errorf("after %#x: nextToken = %#x, want %#x", tt.next, got, tt.want)
		}
	}
}
