package http2_test

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// clientLeaves are the ways a client leaves stream 1 while its handler
// runs.
var clientLeaves = []struct {
	name  string
	leave func(cl *h2Client) error
}{
	{"RST_STREAM CANCEL", func(cl *h2Client) error { return cl.fr.WriteRSTStream(1, xhttp2.ErrCodeCancel) }},
	{"connection closed", func(cl *h2Client) error { return cl.nc.Close() }},
}

// A client that resets its stream, or closes its connection, while a
// blocking handler runs is gone, and the connector notices: the request's
// context ends then (api.Request.Context), so that work bound to it stops
// rather than run to its end for nobody.
func TestH2ClientGoneEndsContext(t *testing.T) {
	for _, tc := range clientLeaves {
		t.Run(tc.name, func(t *testing.T) {
			running := make(chan struct{})
			ended := make(chan struct{})
			release := make(chan struct{})
			c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
			c.HandleFunc("/work", func(w api.Response, r *api.Request) error {
				close(running)
				select {
				case <-r.Context().Done():
					close(ended)
				case <-release:
				}
				return nil
			})
			addr := listen(t, c)
			t.Cleanup(func() { close(release) }) // before the server's shutdown
			cl := dialH2C(t, addr)
			cl.get(t, 1, "/work", true)
			<-running
			if err := tc.leave(cl); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ended:
			case <-time.After(wharftest.Patience):
				t.Fatalf("the handler's context did not end within %v of the client leaving", wharftest.Patience)
			}
		})
	}
}

// A handler whose work the client's leaving cancelled returns what that
// work returned: the request's context's error, as a database driver or
// an upstream call gives it back. That is the client gone, not a failure
// of the server's: nothing is logged as one (no "request failed" at 500
// for every cancelled request), and the request ends as its client left.
func TestH2ClientGoneCanceledWorkNotAFailure(t *testing.T) {
	for _, tc := range clientLeaves {
		t.Run(tc.name, func(t *testing.T) {
			rec, logger := wharftest.NewLogRecorder()
			running := make(chan struct{})
			ended := make(chan async.End, 1)
			c := container.New(container.WithH2C(), container.WithLogger(logger))
			c.HandleFunc("/work", func(w api.Response, r *api.Request) error {
				if err := async.OnComplete(r, func(error) {
					res, _ := async.ResultOf(r)
					ended <- res.End
				}); err != nil {
					return err
				}
				close(running)
				<-r.Context().Done()
				return fmt.Errorf("query: %w", r.Context().Err())
			})
			addr := listen(t, c)
			cl := dialH2C(t, addr)
			cl.get(t, 1, "/work", true)
			<-running
			if err := tc.leave(cl); err != nil {
				t.Fatal(err)
			}
			select {
			case end := <-ended:
				if end != async.EndClientGone {
					t.Errorf("the request ended %v, want %v", end, async.EndClientGone)
				}
			case <-time.After(wharftest.Patience):
				t.Fatalf("the request did not complete within %v of the client leaving", wharftest.Patience)
			}
			for _, r := range rec.Records() {
				if r.Level >= slog.LevelWarn {
					t.Errorf("logged: %v %s %v", r.Level, r.Message, r.Attrs)
				}
			}
		})
	}
}
