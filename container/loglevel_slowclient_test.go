package container_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	xhttp2 "golang.org/x/net/http2"
)

// A client that stops reading its response is cut off once WriteTimeout,
// or its minimum data rate, runs out: its doing, as a client that leaves
// is, not a failure of the server's. The handler that returns the write's
// error has the connection aborted, and nothing is logged, where that
// error was logged at Error as a 500 ("wharf: request failed").
func TestSlowClientNotLoggedAsFailure(t *testing.T) {
	tests := []struct {
		name string
		cfg  connector.Config
		want error
	}{
		{"write timeout", connector.Config{WriteTimeout: 200 * time.Millisecond, MinResponseDataRate: -1}, os.ErrDeadlineExceeded},
		{"data rate", connector.Config{MinResponseDataRate: 64 << 20, DataRateGrace: 100 * time.Millisecond}, connector.ErrTooSlow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.H1TLS, modes.H1TLSPortable, modes.H2C, modes.H2CPortable} {
				t.Run(string(m), func(t *testing.T) {
					rec, logger := wharftest.NewLogRecorder()
					opts := append([]container.Option{container.WithConnector(tt.cfg), container.WithLogger(logger)}, modes.Options(m)...)
					c := container.New(opts...)
					errs := make(chan error, 1)
					c.HandleFunc("/big", func(w api.Response, r *api.Request) error {
						chunk := make([]byte, 1<<20)
						var err error
						for i := 0; i < 256 && err == nil; i++ {
							_, err = w.Write(chunk)
						}
						errs <- err
						return err
					})
					s := modes.Start(t, m, c)
					if m.HTTP2() {
						// A client that reads its frames but never opens
						// the stream's window past the first 64 KiB.
						cl := dialRawH2(t, strings.TrimPrefix(s.URL, "http://"))
						if err := cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: cl.headerBlock("/big"), EndStream: true, EndHeaders: true}); err != nil {
							t.Fatal(err)
						}
					} else {
						nc := s.DialHTTP1(t)
						defer nc.Close()
						if _, err := io.WriteString(nc, "GET /big HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
							t.Fatal(err)
						}
					}
					var err error
					select {
					case err = <-errs:
					case <-time.After(2 * wharftest.Patience):
						t.Fatal("the handler's writes never failed")
					}
					if !errors.Is(err, tt.want) {
						t.Fatalf("write error %v, want one wrapping %v", err, tt.want)
					}
					wharftest.WaitFor(t, "the request to end", func() bool { return c.Stats().Active == 0 })
					// HTTP/2 may note the connection's end at Debug.
					for _, r := range rec.Records() {
						if r.Level > slog.LevelDebug {
							t.Errorf("logged %+v", r)
						}
					}
				})
			}
		})
	}
}
