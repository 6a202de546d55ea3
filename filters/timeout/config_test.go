package timeout_test

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/filters/timeout"
)

// A Status the timeout response cannot have is refused at setup: without
// a Body the request fails with it, and a status that is not an error
// status was answered 500 on every timeout; with a Body, a status the
// Response refuses, or one without a body, lost the status or the Body.
func TestNewRefusesStatus(t *testing.T) {
	tests := []struct {
		name    string
		cfg     timeout.Config
		refused bool
	}{
		{name: "default", cfg: timeout.Config{}},
		{name: "404", cfg: timeout.Config{Status: 404}},
		{name: "504", cfg: timeout.Config{Status: 504}},
		{name: "599", cfg: timeout.Config{Status: 599}},
		{name: "200 with body", cfg: timeout.Config{Status: 200, Body: "late"}},
		{name: "504 with body", cfg: timeout.Config{Status: 504, Body: "late"}},
		{name: "200", cfg: timeout.Config{Status: 200}, refused: true},
		{name: "204", cfg: timeout.Config{Status: 204}, refused: true},
		{name: "302", cfg: timeout.Config{Status: 302}, refused: true},
		{name: "399", cfg: timeout.Config{Status: 399}, refused: true},
		{name: "600", cfg: timeout.Config{Status: 600}, refused: true},
		{name: "negative", cfg: timeout.Config{Status: -1}, refused: true},
		{name: "103 with body", cfg: timeout.Config{Status: 103, Body: "late"}, refused: true},
		{name: "204 with body", cfg: timeout.Config{Status: 204, Body: "late"}, refused: true},
		{name: "304 with body", cfg: timeout.Config{Status: 304, Body: "late"}, refused: true},
		{name: "1000 with body", cfg: timeout.Config{Status: 1000, Body: "late"}, refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				got := recover()
				if !tt.refused {
					if got != nil {
						t.Fatalf("New(%+v) panicked: %v", tt.cfg, got)
					}
					return
				}
				if err, _ := got.(error); !errors.Is(err, timeout.ErrConfig) {
					t.Fatalf("New(%+v): panic %v, want an error wrapping ErrConfig", tt.cfg, got)
				}
			}()
			timeout.New(tt.cfg)
		})
	}
}
