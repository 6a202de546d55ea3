package timeout_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

// An error answer keeps the header fields the chain set before failing, as
// it does without the filter: auth's 401 its WWW-Authenticate, static's 405
// its Allow.
func TestErrorKeepsHeaderFields(t *testing.T) {
	for _, withTimeout := range []bool{false, true} {
		c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
		if withTimeout {
			c.Filter("/*", timeout.New(timeout.Config{Timeout: 5 * time.Second}))
		}
		c.Filter("/private/*", auth.Basic(auth.BasicConfig{Realm: "r", Check: auth.Users(map[string]string{"u": "p"})}))
		files := fstest.MapFS{"x": {Data: []byte("x")}}
		c.Handle("/private/*", static.New(files, static.Config{}))
		c.Handle("/static/*", static.New(files, static.Config{}))
		addr := wharftest.Listen(t, c)
		tests := []struct {
			method, path string
			wantStatus   int
			field        string
		}{
			{"GET", "/private/x", http.StatusUnauthorized, "WWW-Authenticate"},
			{"POST", "/static/x", http.StatusMethodNotAllowed, "Allow"},
		}
		for _, tt := range tests {
			req, err := http.NewRequestWithContext(context.Background(), tt.method, "http://"+addr+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || resp.Header.Get(tt.field) == "" {
				t.Errorf("timeout filter %v, %s %s: %d, want %d with %s (header %v)",
					withTimeout, tt.method, tt.path, resp.StatusCode, tt.wantStatus, tt.field, resp.Header)
			}
		}
	}
}
