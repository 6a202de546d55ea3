package http2_test

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector/http2"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// resetServer serves /wait, whose handler returns as soon as its
// request's context ends (the handler rapid reset feeds on: each costs a
// start and little else), counting in started the handlers that began;
// and /hello.
func resetServer(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	started := new(atomic.Int64)
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		started.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(wharftest.Patience):
		}
		return nil
	})
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	return listen(t, c), started
}

// blockOf is requestBlock for path with extra fields.
func blockOf(path string, extra ...hpack.HeaderField) []byte {
	c := &h2Client{}
	c.enc = hpack.NewEncoder(&c.buf)
	return c.headerBlock(path, extra...)
}

// Streams a client ends with a reset before their response is complete,
// its own RST_STREAM (rapid reset, CVE-2023-44487) or one its frames make
// the server send (MadeYouReset, CVE-2025-8671), end the connection with
// GOAWAY ENHANCE_YOUR_CALM past the reset bucket: h2ResetBurst at once,
// then h2ResetRate a second. The handlers started meanwhile are no more
// than the bucket allowed over the flood's time, where a bound on
// unfinished handlers alone let a client start them without end.
func TestH2ResetRate(t *testing.T) {
	wait := blockOf("/wait")
	malformed := blockOf("/wait", hpack.HeaderField{Name: "X-Upper", Value: "a"})
	for _, tc := range []struct {
		name string
		send func(fr *xhttp2.Framer, id uint32) error
	}{
		{"HEADERS then RST_STREAM (rapid reset)", func(fr *xhttp2.Framer, id uint32) error {
			if err := fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: wait, EndStream: true, EndHeaders: true}); err != nil {
				return err
			}
			return fr.WriteRSTStream(id, xhttp2.ErrCodeCancel)
		}},
		{"WINDOW_UPDATE overflowing the stream's window", func(fr *xhttp2.Framer, id uint32) error {
			if err := fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: wait, EndStream: true, EndHeaders: true}); err != nil {
				return err
			}
			return fr.WriteWindowUpdate(id, 1<<31-1)
		}},
		{"DATA after END_STREAM", func(fr *xhttp2.Framer, id uint32) error {
			if err := fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: wait, EndStream: true, EndHeaders: true}); err != nil {
				return err
			}
			return fr.WriteData(id, true, []byte("x"))
		}},
		{"malformed request", func(fr *xhttp2.Framer, id uint32) error {
			return fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: malformed, EndStream: true, EndHeaders: true})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, started := resetServer(t)
			c := dialH2C(t, addr)
			var seen atomic.Bool
			closed := make(chan error, 1)
			go func() { closed <- c.goAwayNoted(xhttp2.ErrCodeEnhanceYourCalm, &seen) }()
			start := time.Now()
			const streams = 10 * http2.H2ResetBurst
			for i := uint32(0); i < streams && !seen.Load(); i++ {
				if tc.send(c.fr, 2*i+1) != nil {
					break // the server closed the connection
				}
			}
			// Done sending: a server that ends nothing sees the end of the
			// client's side, and closes without a GOAWAY.
			c.nc.(*net.TCPConn).CloseWrite()
			if err := <-closed; err != nil {
				t.Fatalf("after %d streams: %v", streams, err)
			}
			took := time.Since(start)
			t.Logf("%d handlers started in %v", started.Load(), took)
			most := http2.H2ResetBurst + int64(took.Seconds()*http2.H2ResetRate) + 10
			if n := started.Load(); n > most {
				t.Errorf("%d handlers started in %v, want at most %d", n, took, most)
			}
		})
	}
}

// A client that resets every stream it has open at once, as a browser
// does when its user leaves the page, twice over, keeps its connection:
// its next requests are answered.
func TestH2ResetBurstAllowed(t *testing.T) {
	addr, _ := resetServer(t)
	c := dialH2C(t, addr)
	wait := blockOf("/wait")
	id := uint32(1)
	for range 2 {
		first := id
		for range http2.H2MaxStreams {
			c.writeBlock(t, id, wait, true)
			id += 2
		}
		for rst := first; rst < id; rst += 2 {
			if err := c.fr.WriteRSTStream(rst, xhttp2.ErrCodeCancel); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := c.goAwayOrPing(t); got != "PING" {
		t.Fatalf("after %d streams reset: %s, want the PING answered", http2.H2ResetBurst, got)
	}
	for range 3 {
		c.get(t, id, "/hello", true)
		if r := c.readResponses(t, id)[id]; r.status != "200" || r.body.String() != "hello" {
			t.Fatalf("stream %d: %q %q, want 200 hello", id, r.status, r.body.String())
		}
		id += 2
	}
}
