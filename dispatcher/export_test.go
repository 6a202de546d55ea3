package dispatcher

// CountReserves counts the times a worker makes room on its stack until
// the returned restore is called; the test must not run in parallel.
func CountReserves() (count func() int, restore func()) {
	n, was := 0, reserve
	reserve = func() { n++; reserveStack() }
	return func() int { return n }, func() { reserve = was }
}
