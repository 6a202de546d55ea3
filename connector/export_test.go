package connector

// WithInlineReturnedHook returns cfg with f run on the producer each time a
// NonBlocking handler's first dispatch has returned.
func WithInlineReturnedHook(cfg Config, f func()) Config {
	cfg.testInlineReturned = f
	return cfg
}
