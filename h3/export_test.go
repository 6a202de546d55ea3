package h3

// WithHandlerHooks returns cfg with taken run by the HTTP/3 handler as
// quic-go hands it a request, before Shutdown counts the request in, and
// counted run once it has, before the container sees the request.
func WithHandlerHooks(cfg Config, taken, counted func()) Config {
	cfg.testTaken, cfg.testCounted = taken, counted
	return cfg
}

// The bucket of streams a client may stop before they are answered.
const (
	ResetBurst = resetBurst
	ResetRate  = resetRate
)
