package wharftest

import (
	"io"
	"log/slog"
)

// DiscardLogger returns a logger that drops everything, for tests that
// provoke logged failures on purpose.
func DiscardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
