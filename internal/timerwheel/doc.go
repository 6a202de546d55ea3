// Package timerwheel keeps many timers for the price of one: a
// hierarchical timing wheel (Varghese and Lauck) of intrusive Timers,
// advanced by whoever drives it. The epoll connector drives one per
// selector from a timerfd in the selector's epoll set, so a suspended
// request's timeout, an idle connection's timeout and a stalled write's
// deadline cost no runtime timer, and fire on the selector's own goroutine
// with no timer goroutine and no hand-over; elsewhere one runtime timer
// drives a Wheel (NewRuntime).
//
// The model: time is counted in ticks of Resolution (a millisecond) from
// the Wheel's creation. Four levels of 64 slots each hold the timers due
// within 64 ticks, 64², 64³ and 64⁴ ticks (about 4.7 hours; a later timer
// waits in the last level and is filed again as it nears). A timer is
// filed by how far its tick is; when a coarser slot comes due its timers
// are filed again, finer: each timer moves at most three times, and
// scheduling or stopping one is O(1). A bitmap per level finds the next
// tick with work in constant time, so Advance skips idle stretches, and
// the driver is asked to wake only then (Arm). A timer never fires early:
// its tick is its deadline rounded up; it fires within a tick of its
// deadline once the driver calls Advance on time. The driver is asked to
// wake only at a tick when a timer is due or a coarse slot is to be filed
// again (or one was, before a Stop took its timer out).
//
// A Timer lives inside the struct it times (a request, a connection): it
// allocates nothing. Its Firer is called with the generation the timer was
// scheduled with, on the goroutine that called Advance, outside the
// Wheel's lock; a firing that races with Stop or a new Schedule is told by
// its generation, which the owner compares with its own.
//
// Goroutines: every method may be called from any goroutine. A Firer must
// not block (it runs on the driver's goroutine, a selector's producer) and
// may call Schedule and Stop.
//
// It imports the standard library only.
package timerwheel
