package http2_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// connCloseServer maps /close, which answers "bye" with the field key:
// value, written into the map without Set, and /gated, which answers
// "slow" once gate is closed.
func connCloseServer(opts []container.Option, key, value string, gate <-chan struct{}) *container.Container {
	c := container.New(append(opts, container.WithLogger(wharftest.DiscardLogger()))...)
	c.HandleFunc("/close", func(w api.Response, r *api.Request) error {
		w.Header()[key] = []string{value}
		_, err := w.WriteString("bye")
		return err
	})
	c.HandleFunc("/gated", func(w api.Response, r *api.Request) error {
		select {
		case <-gate:
		case <-r.Context().Done():
			return r.Context().Err()
		}
		_, err := w.WriteString("slow")
		return err
	})
	return c
}

// connCloseFrames reads the answer to /close on stream closeID, which must
// be whole and without a connection field, then a GOAWAY NO_ERROR whose
// last stream id covers it, then the answer to /gated on stream gatedID
// (0: none), whose gate it closes once the GOAWAY came, then the close of
// the connection. A server that never sends the GOAWAY fails the test when
// the client's deadline passes.
func connCloseFrames(t *testing.T, cl *h2Client, closeID, gatedID uint32, gate chan<- struct{}) {
	t.Helper()
	if cl.dec == nil {
		cl.dec = hpack.NewDecoder(4096, nil)
	}
	bodies := map[uint32]*strings.Builder{closeID: {}, gatedID: {}}
	ended := map[uint32]bool{}
	var goAway *xhttp2.GoAwayFrame
	for goAway == nil || gatedID != 0 && !ended[gatedID] {
		f, err := cl.fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading frames (the answer to /close whole %v, GOAWAY %v, /gated answered %v): %v", ended[closeID], goAway != nil, ended[gatedID], err)
		}
		id := f.Header().StreamID
		switch f := f.(type) {
		case *xhttp2.HeadersFrame:
			fields, err := cl.dec.DecodeFull(f.HeaderBlockFragment())
			if err != nil {
				t.Fatal(err)
			}
			for _, hf := range fields {
				if hf.Name == ":status" && hf.Value != "200" || hf.Name == "connection" {
					t.Errorf("stream %d: %s: %s", id, hf.Name, hf.Value)
				}
			}
			ended[id] = ended[id] || f.StreamEnded()
		case *xhttp2.DataFrame:
			if id == gatedID && goAway == nil {
				t.Fatalf("stream %d answered before the gate opened", id)
			}
			bodies[id].Write(f.Data())
			ended[id] = ended[id] || f.StreamEnded()
		case *xhttp2.RSTStreamFrame:
			t.Fatalf("stream %d reset: %v", id, f.ErrCode)
		case *xhttp2.GoAwayFrame:
			if !ended[closeID] {
				t.Fatalf("GOAWAY before the answer to /close was whole (%q)", bodies[closeID])
			}
			if f.LastStreamID < max(closeID, gatedID) || f.ErrCode != xhttp2.ErrCodeNo {
				t.Fatalf("GOAWAY %v, last stream %d; want NO_ERROR, last stream %d at least", f.ErrCode, f.LastStreamID, max(closeID, gatedID))
			}
			goAway = f
			if gate != nil {
				close(gate)
			}
		}
	}
	if got := bodies[closeID].String(); got != "bye" {
		t.Errorf("/close: %q, want \"bye\"", got)
	}
	if got := bodies[gatedID].String(); gatedID != 0 && got != "slow" {
		t.Errorf("/gated: %q, want \"slow\"", got)
	}
	if err := cl.closedByServer(); err != nil {
		t.Fatalf("after the GOAWAY: %v", err)
	}
}

// A handler's "Connection: close" (under a key in any case, "close" among
// other tokens in any case) makes its HTTP/2 connection go away
// gracefully, as x/net's server does: the answer goes whole without the
// field (RFC 9113 §8.2.2), then a GOAWAY NO_ERROR naming the last stream
// the server took, the stream still in flight is answered, and the
// connection closes once idle. The connector dropped the field and kept
// the connection, so that a handler had no way to send a client
// elsewhere (to rebalance, after a logout).
func TestH2ConnectionCloseGoesAway(t *testing.T) {
	fields := []struct{ key, value string }{
		{"Connection", "close"},
		{"connection", "Close"},
		{"CONNECTION", "keep-alive, close"},
	}
	for _, m := range []modes.Mode{modes.H2, modes.H2Portable, modes.H2C, modes.H2CPortable} {
		for _, f := range fields {
			t.Run(string(m)+"/"+f.key+":"+f.value, func(t *testing.T) {
				gate := make(chan struct{})
				c := connCloseServer(modes.Options(m), f.key, f.value, gate)
				s := modes.Start(t, m, c)
				cl := dialMode(t, s)
				// A bound on the wait for a GOAWAY that never comes, not
				// a pause.
				cl.nc.SetDeadline(time.Now().Add(5 * time.Second))
				cl.get(t, 1, "/gated", true)
				wharftest.WaitFor(t, "/gated to start", func() bool { return c.Stats().Active == 1 })
				cl.get(t, 3, "/close", true)
				connCloseFrames(t, cl, 3, 1, gate)
			})
		}
	}
}

// The request that upgraded a connection to h2c is answered on stream 1
// as any other: its "Connection: close" sends the GOAWAY after the answer,
// and the connection closes.
func TestH2CUpgradedConnectionCloseGoesAway(t *testing.T) {
	for _, portable := range []bool{false, true} {
		name := "epoll"
		opts := []container.Option{container.WithH2C()}
		if portable {
			name = "portable"
			opts = append(opts, container.WithPortableConnector())
		}
		t.Run(name, func(t *testing.T) {
			addr := listen(t, connCloseServer(opts, "connection", "close", nil))
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(5 * time.Second)) // as above: a bound
			io.WriteString(nc, "GET /close HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
			br := bufio.NewReader(nc)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("got %s, want 101", resp.Status)
			}
			io.WriteString(nc, xhttp2.ClientPreface)
			cl := &h2Client{nc: nc, fr: xhttp2.NewFramer(nc, br)}
			cl.fr.WriteSettings()
			connCloseFrames(t, cl, 1, 0, nil)
		})
	}
}
