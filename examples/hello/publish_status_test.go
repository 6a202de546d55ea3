package main

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/sse"
)

// refusingLog is a log that cannot take events, as natssse's cannot while
// its broker is out of reach or too far behind.
type refusingLog struct{ *sse.MemoryLog }

func (refusingLog) Append(string, sse.Event) error { return errors.New("nats: timeout") }

// POST /publish answers 400 for what the client sent wrong, and 503, not
// 400, when the log refuses a good event.
func TestPublishStatus(t *testing.T) {
	c, _ := buildContainer(refusingLog{sse.NewMemoryLog(0)})
	base, _ := exampletest.Serve(t, c)
	client := exampletest.NewClient(t)
	tests := []struct {
		topic, body string
		want        int
	}{
		{"t", "hello", http.StatusServiceUnavailable},
		{"a..b", "hello", http.StatusBadRequest},
		{"t", "\xff", http.StatusBadRequest},
	}
	for _, tc := range tests {
		resp, err := client.Post(base+"/publish/"+tc.topic, "text/plain", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("POST /publish/%s %q: %d, want %d", tc.topic, tc.body, resp.StatusCode, tc.want)
		}
	}
}
