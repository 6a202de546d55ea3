package qos_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A refusal is a failure like any other: the container's error page for
// 503 answers it, once, with Retry-After, on every protocol, both after a
// wait that expired and when the request cannot wait (below the timeout
// filter); without a page, the default rendering does. It is load
// shedding (api.ErrShed), logged at Debug, never at Warn.
func TestRefusalThroughErrorPage(t *testing.T) {
	const pageBody = `{"error":"qos: too many requests in progress, try again later"}`
	tests := []struct {
		name     string
		page     bool
		below    bool // below the timeout filter: no waiting
		wantType string
		wantBody string
	}{
		{name: "wait expired, error page", page: true, wantType: "application/json", wantBody: pageBody},
		{name: "wait expired, default", wantType: "text/plain; charset=utf-8", wantBody: "503 Service Unavailable\n"},
		{name: "cannot wait, error page", page: true, below: true, wantType: "application/json", wantBody: pageBody},
		{name: "cannot wait, default", below: true, wantType: "text/plain; charset=utf-8", wantBody: "503 Service Unavailable\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				f                *qos.Filter
				entered, release chan struct{}
				page             *wharftest.JSONErrorPage
			)
			logs, logger := wharftest.NewLogRecorder()
			build := func(c *container.Container) {
				f = qos.New(qos.Config{MaxRequests: 1, MaxWait: 20 * time.Millisecond})
				entered, release = make(chan struct{}), make(chan struct{})
				page = wharftest.NewJSONErrorPage(container.ErrorOf)
				if tt.below {
					c.Filter("/*", timeout.New(timeout.Config{Timeout: time.Minute}))
				}
				c.Filter("/*", f)
				c.HandleFunc("/hold", func(w api.Response, r *api.Request) error {
					close(entered)
					<-release
					_, err := w.WriteString("held")
					return err
				})
				c.HandleFunc("/x", func(w api.Response, r *api.Request) error {
					t.Error("a refused request reached the chain")
					return nil
				})
				if tt.page {
					c.ErrorPage(http.StatusServiceUnavailable, page)
				}
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				before := len(logs.RecordsOf("wharf: request failed"))
				held := make(chan error, 1)
				go func() {
					resp, err := s.Client.Get(s.URL + "/hold")
					if err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					held <- err
				}()
				<-entered
				resp, err := s.Client.Get(s.URL + "/x")
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				close(release)
				if err != nil {
					t.Fatal(err)
				}
				if err := <-held; err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
					resp.Header.Get("Content-Type") != tt.wantType || string(body) != tt.wantBody {
					t.Errorf("got %d Retry-After %q %q %q, want 503 Retry-After 1 %q %q",
						resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), body, tt.wantType, tt.wantBody)
				}
				if st := f.Stats(); st.Rejected != 1 || st.Admitted != 1 || st.Active != 0 || st.Waiting != 0 {
					t.Errorf("stats %+v, want one admitted, one rejected, nothing left", st)
				}
				// The container logs a failure before it sends the answer.
				recs := logs.RecordsOf("wharf: request failed")[before:]
				if len(recs) != 1 || recs[0].Level != slog.LevelDebug {
					t.Errorf("logged %+v, want one record at Debug", recs)
				}
				if !tt.page {
					return
				}
				if n := page.Runs(); n != 1 {
					t.Errorf("the error page ran %d times, want once", n)
				}
				if err := page.Err(); !errors.Is(err, qos.ErrBusy) || !errors.Is(err, api.ErrShed) {
					t.Errorf("the page's error is %v, want qos.ErrBusy, which is api.ErrShed", err)
				}
			}, container.WithLogger(logger))
		})
	}
}
