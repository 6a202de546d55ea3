package exchange

import (
	"testing"

	"github.com/wharf-go/wharf/api"
)

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

// The Responses of the first three tasks (a suspended request's timeout
// and its expired dispatch among them) cost no allocation, and each is the
// handle its token would make; later tasks' cost one, a handle.
func TestPinnedResponses(t *testing.T) {
	ex := &Exchange{}
	for _, tt := range []struct {
		tok    uint32
		allocs float64
	}{
		{0, 0}, {firstToken, 0}, {secondToken, 0}, {thirdToken, 0}, {thirdToken + 1, 1},
	} {
		var w api.Response
		if n := testing.AllocsPerRun(100, func() { w = ex.handleFor(tt.tok) }); n != tt.allocs {
			t.Errorf("token %d: %v allocations, want %v", tt.tok, n, tt.allocs)
		}
		var h handle
		switch p := w.(type) {
		case interface{ h() handle }: // a pinned Response
			h = p.h()
		case *handle:
			h = *p
		default:
			t.Fatalf("token %d: a %T", tt.tok, w)
		}
		if h.ex != ex || h.token != tt.tok {
			t.Errorf("token %d: the Response of token %d", tt.tok, h.token)
		}
	}
}
