package connector

// WithInlineReturnedHook returns cfg with f run on the producer each time a
// NonBlocking handler's first dispatch has returned.
func WithInlineReturnedHook(cfg Config, f func()) Config {
	cfg.testInlineReturned = f
	return cfg
}

// WithBeforeReadyHook returns cfg with f run by the epoll accept loop
// between listing a new connection and making it ready.
func WithBeforeReadyHook(cfg Config, f func()) Config {
	cfg.testBeforeReady = f
	return cfg
}
