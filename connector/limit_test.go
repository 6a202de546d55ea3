package connector_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// At MaxConnections the server stops accepting: a further connection waits
// in the backlog, unanswered, and is served as soon as one closes. Both
// connectors, twice over, so that a paused listener is resumed more than
// once.
func TestMaxConnections(t *testing.T) {
	eachConnector(t, connector.Config{MaxConnections: 2}, func(t *testing.T, cfg connector.Config) {
		addr, c := serve(t, cfg)
		type client struct {
			nc net.Conn
			br *bufio.Reader
		}
		dial := func() client {
			nc := wharftest.Dial(t, addr, 0)
			return client{nc, bufio.NewReader(nc)}
		}
		open := []client{dial(), dial()}
		for _, cl := range open {
			if err := getHello(cl.nc, cl.br); err != nil {
				t.Fatal(err)
			}
		}
		for round := range 2 {
			waiting := dial() // completes in the kernel's backlog
			io.WriteString(waiting.nc, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
			waiting.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			if _, err := waiting.br.ReadByte(); err == nil {
				t.Fatalf("round %d: a connection over the limit was served", round)
			}
			if st := c.Stats().Connections; st.Open != 2 {
				t.Fatalf("round %d: %d connections open, want 2", round, st.Open)
			}
			open[0].nc.Close() // frees a slot: the waiting one is accepted
			waiting.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(waiting.br, nil)
			if err != nil {
				t.Fatalf("round %d: the waiting connection: %v", round, err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("round %d: status %d", round, resp.StatusCode)
			}
			open = []client{open[1], waiting}
		}
		if st := c.Stats().Connections; st.Accepted != 4 {
			t.Fatalf("accepted %d connections, want 4", st.Accepted)
		}
	})
}

// A listener with no client holds no slot: with MaxConnections 1 and two
// listeners, one of them served by the portable loop (as a TLS listener
// is), a connection to the other is served.
func TestMaxConnectionsTwoListeners(t *testing.T) {
	eachConnector(t, connector.Config{MaxConnections: 1}, func(t *testing.T, cfg connector.Config) {
		c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
		c.HandleFunc("/hello", func(w api.Response, r *api.Request) error { _, err := w.WriteString("hello"); return err })
		listen(t, c) // nobody connects here
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		// Wrapped, the listener goes to the portable loop even when the
		// epoll connector serves the first.
		go func() { defer close(done); c.Serve(struct{ net.Listener }{l}) }()
		t.Cleanup(func() { c.Close(); <-done })
		resps, bodies, _ := roundTrip(t, l.Addr().String(), "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 1)
		if resps[0].StatusCode != 200 || bodies[0] != "hello" {
			t.Fatalf("got %d %q", resps[0].StatusCode, bodies[0])
		}
	})
}
