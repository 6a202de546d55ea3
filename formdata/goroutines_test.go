package formdata_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/formdata"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestSlowUploadsHoldNoGoroutine: 50 clients send half their upload and
// stall. Through ParseAsync on the epoll connector the server holds no
// goroutine for them; through Parse it holds one each. Then the bodies
// are finished and every upload is answered.
func TestSlowUploadsHoldNoGoroutine(t *testing.T) {
	const clients = 50
	var started atomic.Int32
	// No data rate: a stalled upload stays stalled until the test sends
	// the rest. With the default, each one failed 408 after
	// DataRateGrace (5 s) of waiting and gave its goroutine back, so on a
	// loaded machine, where dialing the 50 took longer than that, the
	// first handlers were gone before the count reached a goroutine each.
	c := container.New(append(modes.Options(modes.H1), container.WithConnector(connector.Config{MinRequestDataRate: -1}))...)
	lim := formdata.Limits{TempDir: t.TempDir()}
	c.HandleFunc("POST /blocking", func(w api.Response, r *api.Request) error {
		started.Add(1)
		f, err := formdata.Parse(r, lim)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, f.Value("v"))
		return err
	})
	c.HandleFunc("POST /async", func(w api.Response, r *api.Request) error {
		started.Add(1)
		_, err := formdata.ParseAsync(r, lim, func(w api.Response, f *formdata.Form, err error) error {
			if err != nil {
				return err
			}
			_, err = io.WriteString(w, f.Value("v"))
			return err
		})
		return err
	})
	s := modes.Start(t, modes.H1, c)
	addr := strings.TrimPrefix(s.URL, "http://")
	body, ct := multipartBody(upload{name: "v", content: "done"}, upload{name: "f", filename: "f", content: strings.Repeat("x", 1000)})

	for _, tt := range []struct {
		path  string
		holds bool // whether each stalled upload holds a goroutine
	}{{"/blocking", true}, {"/async", false}} {
		t.Run(tt.path[1:], func(t *testing.T) {
			started.Store(0)
			poll(t, "the last subtest's connections to end", func() bool {
				st := c.Stats()
				return st.Connections.Open == 0
			})
			// Goroutines the executor keeps idle for its next tasks are
			// nobody's: held leaves them out.
			idle := func() int { ex := c.Stats().Executor; return ex.Workers - ex.Busy }
			base := runtime.NumGoroutine() - idle()
			held := func() int { return runtime.NumGoroutine() - idle() - base }
			conns := make([]net.Conn, clients)
			for i := range conns {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(20 * time.Second))
				fmt.Fprintf(nc, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", tt.path, ct, len(body))
				nc.Write(body[:len(body)/2])
				conns[i] = nc
			}
			// Bounded polls of conditions: every handler ran, then the
			// goroutine count settles where the style puts it.
			poll(t, "handlers started", func() bool { return started.Load() == clients })
			if tt.holds {
				poll(t, "a goroutine per stalled upload", func() bool { return held() >= clients*9/10 })
			} else {
				poll(t, "no goroutine per stalled upload", func() bool { return held() < clients/10 })
			}
			t.Logf("%s: %d goroutines held for %d stalled uploads", tt.path, held(), clients)
			for _, nc := range conns {
				nc.Write(body[len(body)/2:])
			}
			for _, nc := range conns {
				resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != "done" {
					t.Fatalf("upload answered %d %q", resp.StatusCode, b)
				}
			}
		})
	}
}

// poll waits, bounded, until cond holds.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10 s (%d goroutines)", what, runtime.NumGoroutine())
		}
		time.Sleep(time.Millisecond)
	}
}
