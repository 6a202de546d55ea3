package wharftest

import (
	"sync"
	"time"
)

// Drip calls step every period, on a goroutine of its own, until step
// reports false or the returned stop is called; stop waits for the
// goroutine to end and may be called more than once. It paces a slow
// client (Slowloris and its kin): the pace is the attack, not a wait for
// something to happen.
func Drip(period time.Duration, step func() bool) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				if !step() {
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		<-done
	}
}
