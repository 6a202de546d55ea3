package connector_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A body read on a goroutine of the handler, which sends "100 Continue",
// runs while the handler writes its response head: the interim answer and
// the head never interleave, and -race sees no unsynchronised state.
func TestContinueWhileWriting(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
		c.HandleFunc("/duplex", func(w api.Response, r *api.Request) error {
			var wg sync.WaitGroup
			var got []byte
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, _ = io.ReadAll(r.Body())
			}()
			w.Header().Set("X-Early", "yes")
			if err := w.Flush(); err != nil { // commits the head at once
				return err
			}
			wg.Wait()
			_, err := fmt.Fprintf(w, "%d", len(got))
			return err
		})
		addr := listen(t, c)
		for range 20 {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			nc.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprint(nc, "POST /duplex HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
			br := bufio.NewReader(nc)
			// Whatever came first (100 or the head), send the body.
			nc.Write([]byte("hello"))
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == 100 {
				if resp, err = http.ReadResponse(br, nil); err != nil {
					t.Fatal(err)
				}
			}
			b, err := io.ReadAll(resp.Body)
			nc.Close()
			if err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Early") != "yes" {
				t.Fatalf("status %d, header %v, body %q, %v", resp.StatusCode, resp.Header, b, err)
			}
			// The body was either read (5) or the head went first and the
			// body was not invited: both are valid, nothing else is.
			if s := string(b); s != "5" && s != "0" {
				t.Fatalf("body %q", s)
			}
		}
	})
}
