package exchange

// OnShutdown says what a container's graceful Shutdown does with a request
// that is suspended while it runs. Close ignores it: it completes every
// request at once.
type OnShutdown uint8

const (
	// ShutdownDefault chooses by how the request suspended. Async work
	// (Start, ModeAsync) is left to finish, since an answer is on its
	// way: Shutdown waits for it while its context allows. A continuation
	// (ModeContinuation, or a blocking Await) only waits for an event that
	// may never come before the server goes (a long poll), so it is
	// expired at once: its timeout path answers, and the client reconnects
	// to another instance.
	ShutdownDefault OnShutdown = iota
	// ShutdownWait lets the request finish while Shutdown's context
	// allows, however it suspended.
	ShutdownWait
	// ShutdownExpire expires the request as soon as Shutdown begins (or
	// as soon as it suspends during a shutdown), however it suspended.
	ShutdownExpire
)

// String returns "default", "wait" or "expire".
func (p OnShutdown) String() string {
	switch p {
	case ShutdownWait:
		return "wait"
	case ShutdownExpire:
		return "expire"
	}
	return "default"
}

// SetOnShutdown chooses what a graceful shutdown does with the request
// while it is suspended; the choice holds for its later suspensions too.
// Any goroutine may call it.
func (ex *Exchange) SetOnShutdown(p OnShutdown) {
	ex.mu.Lock()
	ex.m.onShutdown = p
	ex.mu.Unlock()
}

// ExpiresOnShutdown reports whether a graceful shutdown should expire the
// request now: it is suspended, waiting for an outcome, and its OnShutdown
// (by default, how it suspended) says not to wait for it. A container's
// Shutdown calls it; any goroutine may.
func (ex *Exchange) ExpiresOnShutdown() bool {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.expiresOnShutdownLocked()
}

// ExpireForShutdown expires the request for a container's Shutdown, with
// EndShutdown as its Result's End, if it is suspended and waiting for an
// outcome and either all is set (Shutdown's context ended) or
// ExpiresOnShutdown holds. The check and the expiry are one step under the
// exchange's lock, so a request resumed in between and suspended again in
// another way is judged by how it is suspended now. It returns
// api.ErrNotSuspended when it expires nothing. Any goroutine may call it.
func (ex *Exchange) ExpireForShutdown(all bool) error {
	return ex.expireIf(0, false, EndShutdown, func() bool { return all || ex.expiresOnShutdownLocked() })
}

// expiresOnShutdownLocked is ExpiresOnShutdown; ex.mu must be held.
func (ex *Exchange) expiresOnShutdownLocked() bool {
	m := &ex.m
	if !m.undecided() {
		return false
	}
	switch m.onShutdown {
	case ShutdownWait:
		return false
	case ShutdownExpire:
		return true
	}
	return ex.mode == ModeContinuation || m.awaiting
}
