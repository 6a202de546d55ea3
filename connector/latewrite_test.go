package connector_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A Stream's writes after its Finish (or Abort) write nothing and fail
// with an error wrapping api.ErrCompleted, as HTTP/2's stream refuses
// them: the connection is the next request's from Finish on, and what a
// late write put on it, raw, would be read as the next response's head
// (or, buffered, be sent by the next Flush).
func TestWriteAfterFinish(t *testing.T) {
	tests := []struct {
		name string
		late func(s connector.Stream) error
	}{
		{"WriteBody then Flush", func(s connector.Stream) error {
			return errors.Join(s.WriteBody([]byte("SMUGGLED")), s.Flush())
		}},
		{"WriteBody past the buffer", func(s connector.Stream) error {
			return s.WriteBody([]byte(strings.Repeat("X", 20<<10)))
		}},
		{"WriteHead", func(s connector.Stream) error {
			return s.WriteHead(200, "", nil, -1, nil)
		}},
		{"Hijack", func(s connector.Stream) error {
			nc, _, err := s.Hijack()
			if nc != nil {
				nc.Close()
			}
			return err
		}},
		{"Tunnel", func(s connector.Stream) error {
			_, err := s.(interface{ Tunnel() (api.Tunnel, error) }).Tunnel()
			return err
		}},
	}
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				late := make(chan error, 1)
				srv := &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
					if s.Request().Path != "/late" {
						s.WriteHead(200, "", nil, 4, nil)
						s.WriteBody([]byte("next"))
						s.Finish(nil)
						return
					}
					s.WriteHead(200, "", nil, -1, nil) // chunked
					s.WriteBody([]byte("ok"))
					s.Finish(nil)
					late <- tt.late(s)
				})}
				addr := serveServer(t, srv)
				nc := wharftest.Dial(t, addr, 5*time.Second)
				defer nc.Close()
				br := bufio.NewReader(nc)
				var got []string
				for _, path := range []string{"/late", "/next"} {
					fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path)
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Fatalf("%s: %v", path, err)
					}
					b, err := io.ReadAll(resp.Body)
					if err != nil {
						t.Fatalf("%s: %v", path, err)
					}
					got = append(got, string(b))
					if path == "/late" {
						if err := <-late; !errors.Is(err, api.ErrCompleted) {
							t.Errorf("the write after Finish returned %v, want an error wrapping api.ErrCompleted", err)
						}
					}
				}
				if got[0] != "ok" || got[1] != "next" {
					t.Errorf("bodies %q, want [ok next]", got)
				}
			})
		}
	})
}
