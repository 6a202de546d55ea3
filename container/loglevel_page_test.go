package container_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

var errNoSuchItem = errors.New("no such item")

// TestLogLevelOfRenderedErrors proves that a failure is logged with the
// status its error page answered, not the one its error alone maps to: a
// domain error a page answers 404 is a 4xx, not logged, and one it answers
// 503 is logged with 503.
func TestLogLevelOfRenderedErrors(t *testing.T) {
	tests := []struct {
		name       string
		pageStatus int // 0: the page keeps the status set
		status     int
		logged     bool
		level      slog.Level
	}{
		{"page answers 404", http.StatusNotFound, http.StatusNotFound, false, 0},
		{"page answers 429", http.StatusTooManyRequests, http.StatusTooManyRequests, false, 0},
		{"page keeps 500", 0, http.StatusInternalServerError, true, slog.LevelError},
		{"page answers 503", http.StatusServiceUnavailable, http.StatusServiceUnavailable, true, slog.LevelError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs, logger := wharftest.NewLogRecorder()
			c := container.New(container.WithLogger(logger))
			c.HandleFunc("/item", func(api.Response, *api.Request) error { return errNoSuchItem })
			c.ErrorPageFor(errNoSuchItem, api.HandlerFunc(func(w api.Response, r *api.Request) error {
				if tt.pageStatus != 0 {
					if err := w.SetStatus(tt.pageStatus); err != nil {
						return err
					}
				}
				_, err := io.WriteString(w, "page")
				return err
			}))
			if got := listenAndGet(t, c, "/item"); got != tt.status {
				t.Fatalf("status %d, want %d", got, tt.status)
			}
			recs := logs.Records()
			if !tt.logged {
				if len(recs) != 0 {
					t.Fatalf("logged %+v for a %d answer", recs, tt.status)
				}
				return
			}
			if len(recs) != 1 || recs[0].Level != tt.level || recs[0].Attrs["status"].Int64() != int64(tt.status) {
				t.Fatalf("records %+v, want one at %v with status %d", recs, tt.level, tt.status)
			}
		})
	}
}
