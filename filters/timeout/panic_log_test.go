package timeout_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A panic below the filter is logged with its stack, as the container logs
// one without the filter: the 500 alone would leave the operator nothing to
// go on.
func TestChainPanicIsLogged(t *testing.T) {
	for _, withTimeout := range []bool{false, true} {
		logs, logger := wharftest.NewLogRecorder()
		c := container.New(container.WithLogger(logger))
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
		logged := false
		for _, r := range logs.Records() {
			if r.Level == slog.LevelError && strings.Contains(r.Attrs["panic"].String(), "kaboom") && strings.Contains(r.Attrs["stack"].String(), "panicDeep") {
				logged = true
			}
		}
		if !logged {
			t.Errorf("timeout filter %v: the panic is not logged with its stack; records: %+v", withTimeout, logs.Records())
		}
	}
}

func panicDeep() { panic("kaboom") }
