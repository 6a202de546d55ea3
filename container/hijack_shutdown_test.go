package container_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A connection a handler hijacked is the handler's, as on net/http's
// server (StateHijacked): from the Hijack on, its request no longer counts
// in Stats nor against MaxConnections, and Shutdown does not wait for it,
// even while the handler that took it runs on (a WebSocket library's read
// loop, here a mounted net/http handler's). It counted until the handler
// returned, so a Shutdown with such a connection open waited out its
// whole context. Shutdown must leave the connection alone: the handler
// goes on using it until it closes it.
func TestShutdownLeavesHijackedConn(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.H1TLS, modes.H1TLSPortable, modes.NetHTTP} {
		t.Run(string(m), func(t *testing.T) {
			hijacked := make(chan struct{})
			returned := make(chan error, 1)
			c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
			c.Mount("/ws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				nc, rw, err := http.NewResponseController(w).Hijack()
				if err != nil {
					returned <- err
					return
				}
				defer nc.Close()
				rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
				rw.Flush()
				close(hijacked)
				for { // the read loop, until the client leaves
					line, err := rw.ReadString('\n')
					if err != nil {
						returned <- nil
						return
					}
					rw.WriteString("echo: " + line)
					if err := rw.Flush(); err != nil {
						returned <- err
						return
					}
				}
			}))
			s := modes.Start(t, m, c)
			conn := s.DialHTTP1(t)
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(wharftest.Patience))
			io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("the upgrade: %v %v", resp, err)
			}
			<-hijacked
			st := c.Stats()
			if st.Active != 0 || st.Connections.Open != 0 {
				t.Errorf("after the Hijack: %d requests active and %d connections open, want none", st.Active, st.Connections.Open)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			if err := c.Shutdown(ctx); err != nil || ctx.Err() != nil {
				t.Errorf("Shutdown: %v after %v, want nil before its context ends: the hijacked connection is the handler's", err, time.Since(start))
			}
			io.WriteString(conn, "still there\n")
			if line, err := br.ReadString('\n'); err != nil || line != "echo: still there\n" {
				t.Errorf("the hijacked connection after Shutdown: %q %v", line, err)
			}
			conn.Close()
			if err := <-returned; err != nil {
				t.Errorf("the handler: %v", err)
			}
		})
	}
}
