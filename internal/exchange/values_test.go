package exchange_test

import (
	"sync"
	"testing"

	"github.com/wharf-go/wharf/internal/exchange"
)

type keyA struct{}
type keyB struct{}

// TestValueOncePerKey: every caller of Value, from any goroutine, gets the
// one value made for its key, and each key has its own.
func TestValueOncePerKey(t *testing.T) {
	ex := exchange.NewExchange(nil, nil, nil)
	var made sync.Map // key → how many values were made for it
	var wg sync.WaitGroup
	got := make([]any, 16)
	for i := range got {
		wg.Go(func() {
			key := any(keyA{})
			if i%2 == 1 {
				key = keyB{}
			}
			got[i] = ex.Value(key, func() any {
				n, _ := made.LoadOrStore(key, new(int))
				*n.(*int)++
				return new(int)
			})
		})
	}
	wg.Wait()
	for i := range got {
		if got[i] != got[i%2] {
			t.Errorf("call %d got another value than call %d", i, i%2)
		}
	}
	if got[0] == got[1] {
		t.Error("two keys share a value")
	}
	made.Range(func(k, n any) bool {
		if *n.(*int) != 1 {
			t.Errorf("%T: %d values made, want 1", k, *n.(*int))
		}
		return true
	})
}
