package container_test

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A Hijack ends the request once its handler returns, as Complete does,
// whether the handler suspended before it or tries to after it (refused,
// api.ErrWrongState). The request left the container's books at the
// Hijack, so neither Shutdown nor Close would end a suspension: a request
// that hijacked and then suspended without a timeout never completed, and
// the container counted its hijacker for good.
func TestHijackThenSuspend(t *testing.T) {
	tests := []struct {
		name string
		// suspendFirst: Suspend, then Hijack; else Hijack, then Suspend.
		suspendFirst bool
		want         error // Suspend's
	}{
		{"hijack, then suspend", false, api.ErrWrongState},
		{"suspend, then hijack", true, nil},
	}
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable} {
		for _, tt := range tests {
			t.Run(string(m)+"/"+tt.name, func(t *testing.T) {
				suspendErr := make(chan error, 1)
				completed := make(chan error, 1)
				var cont continuation.Continuation
				c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
				c.HandleFunc("/up", func(w api.Response, r *api.Request) error {
					cont = continuation.Of(r)
					cont.SetTimeout(0) // never expires by itself
					cont.AddListener(continuation.Listener{OnComplete: func(_ *api.Request, err error) { completed <- err }})
					var err error
					if tt.suspendFirst {
						err = cont.Suspend()
					}
					nc, rw, herr := api.Hijack(w)
					if herr != nil {
						return herr
					}
					if !tt.suspendFirst {
						err = cont.Suspend()
					}
					suspendErr <- err
					rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n")
					rw.Flush()
					nc.Close()
					return nil
				})
				s := modes.Start(t, m, c)
				conn := s.DialHTTP1(t)
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(wharftest.Patience))
				io.WriteString(conn, "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n")
				if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
					t.Fatalf("the upgrade: %v %v", resp, err)
				}
				if err := <-suspendErr; !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
					t.Errorf("Suspend = %v, want %v", err, tt.want)
				}
				select {
				case <-completed:
				case <-time.After(wharftest.Patience):
					t.Fatal("the hijacked request did not complete")
				}
				if err := cont.Resume(); !errors.Is(err, api.ErrCompleted) {
					t.Errorf("Resume after the end = %v, want api.ErrCompleted", err)
				}
			})
		}
	}
}
