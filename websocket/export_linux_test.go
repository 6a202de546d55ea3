package websocket

// TimerInWheel reports whether c's timer is filed in a timer wheel (the
// selector's, on the epoll connector), rather than held by the runtime.
func TimerInWheel(c *Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wheel != nil && c.rt == nil && c.wheel.Pending(&c.tm)
}
