package timeout_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// lockedBuffer is a log destination safe for the container's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A panic below the filter is logged with its stack, as the container logs
// one without the filter: the 500 alone would leave the operator nothing to
// go on.
func TestChainPanicIsLogged(t *testing.T) {
	for _, withTimeout := range []bool{false, true} {
		logs := &lockedBuffer{}
		c := container.New(container.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
		if withTimeout {
			c.Filter("/*", timeout.New(timeout.Config{Timeout: 5 * time.Second}))
		}
		c.HandleFunc("/boom", func(w api.Response, r *api.Request) error {
			panicDeep()
			return nil
		})
		addr := wharftest.Listen(t, c)
		resp, err := http.Get("http://" + addr + "/boom")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("timeout filter %v: status %d, want 500", withTimeout, resp.StatusCode)
		}
		// The panic is logged before the error is answered.
		got := logs.String()
		if !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "kaboom") || !strings.Contains(got, "panicDeep") {
			t.Errorf("timeout filter %v: the panic is not logged with its stack; log:\n%s", withTimeout, got)
		}
	}
}

func panicDeep() { panic("kaboom") }
