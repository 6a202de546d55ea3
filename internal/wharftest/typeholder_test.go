package wharftest

import (
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
)

// TypeHolder keeps a type as the container's Response does.
func TestTypeHolder(t *testing.T) {
	tests := []struct {
		name     string
		do       func(h *TypeHolder)
		held     string
		sentType string // after Finish
	}{
		{"held", func(h *TypeHolder) { api.SetContentType(h, "text/plain") }, "text/plain", "text/plain"},
		{"moved by Header", func(h *TypeHolder) {
			api.SetContentType(h, "text/plain")
			h.Header()
		}, "", "text/plain"},
		{"into the map once there is one", func(h *TypeHolder) {
			h.Header().Set("X-A", "1")
			api.SetContentType(h, "text/plain")
		}, "", "text/plain"},
		{"reset drops it", func(h *TypeHolder) {
			api.SetContentType(h, "text/plain")
			h.Reset()
		}, "", ""},
		{"sent by Flush, ignored after", func(h *TypeHolder) {
			api.SetContentType(h, "text/plain")
			h.Flush()
			api.SetContentType(h, "application/json")
		}, "", "text/plain"},
		{"empty is a field", func(h *TypeHolder) { api.SetContentType(h, "") }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewTypeHolder()
			tt.do(h)
			if got := h.Held(); got != tt.held {
				t.Errorf("Held = %q, want %q", got, tt.held)
			}
			h.Finish()
			if got := http.Header(h.Result()).Get("Content-Type"); got != tt.sentType {
				t.Errorf("sent Content-Type %q, want %q", got, tt.sentType)
			}
		})
	}
}
