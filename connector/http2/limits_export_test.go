package http2

// The constants docs/security.md's HTTP/2 table states, for
// limits_test.go (package http2_test).
const (
	H2StreamWindow = h2StreamWindow
	H2ConnWindow   = h2ConnWindow
	H2MaxStreams   = h2MaxStreams
	H2MaxHandlers  = h2MaxHandlers
	H2ResetBurst   = h2ResetBurst
	H2ResetRate    = h2ResetRate
	H2MaxFrame     = h2MaxFrame
	H2MaxControl   = h2MaxControl
	H2MaxQueued    = h2MaxQueued
	H2MaxFrames    = h2MaxFrames
)
