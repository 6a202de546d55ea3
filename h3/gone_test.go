package h3_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// serveH3 serves c over HTTP/3 on a port of its own until the test ends,
// and returns the server's address and a client that trusts it.
func serveH3(t *testing.T, c *container.Container) (addr string, cl *http.Client) {
	t.Helper()
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := devcert.Pool(cert)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, c, pc, cert, h3.Config{})
	tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(func() { tr.Close() }) // before serveOn's: the client leaves first
	return pc.LocalAddr().String(), &http.Client{Transport: tr, Timeout: wharftest.Patience}
}

// serveOn serves c over HTTP/3 on pc with cert and cfg until the test
// ends, then shuts c down (closing it if that fails), checks what Serve
// returned and closes pc.
func serveOn(t *testing.T, c *container.Container, pc net.PacketConn, cert tls.Certificate, cfg h3.Config) {
	served := make(chan error, 1)
	go func() { served <- h3.Serve(c, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, cfg) }()
	t.Cleanup(func() {
		shutDown(t, c, "h3.Serve", served)
		pc.Close()
	})
}

// A client that cancels its request (quic-go's client then stops and
// resets the stream, STOP_SENDING and RESET_STREAM) while the request is
// suspended fails the request at once, through OnError and OnComplete
// with connector.ErrClientGone, as a reset HTTP/2 stream does: not at the
// suspension's timeout, an hour away, holding the stream's goroutine till
// then (a client could open and reset streams without end, each one's
// goroutine held).
func TestClientResetsSuspended(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	w := handleSuspend(c)
	addr, cl := serveH3(t, c)
	leaveSuspended(t, cl.Do, "https://"+addr+"/suspend", w)
	select {
	case err := <-w.errored:
		if !errors.Is(err, connector.ErrClientGone) {
			t.Errorf("OnError got %v, want connector.ErrClientGone", err)
		}
	default:
		t.Error("OnError did not run")
	}
	wharftest.WaitFor(t, "every request to end", func() bool { return c.Stats().Active == 0 })
}

// suspendWatch is what handleSuspend's handler reports: that its request
// suspended, and what its OnError and OnComplete listeners heard.
type suspendWatch struct {
	suspended          chan struct{}
	errored, completed chan error
}

// handleSuspend maps /suspend to a handler whose request suspends for an
// hour, so that only its client leaving can end the wait.
func handleSuspend(c *container.Container) suspendWatch {
	w := suspendWatch{suspended: make(chan struct{}, 1), errored: make(chan error, 1), completed: make(chan error, 1)}
	c.HandleFunc("/suspend", func(rw api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if !cont.IsInitial() {
			_, err := rw.WriteString("expired")
			return err
		}
		cont.SetTimeout(time.Hour) // only the client leaving can end the wait
		cont.AddListener(continuation.Listener{
			OnError:    func(_ api.Response, _ *api.Request, err error) { w.errored <- err },
			OnComplete: func(_ *api.Request, err error) { w.completed <- err },
		})
		err := cont.Suspend()
		w.suspended <- struct{}{}
		return err
	})
	return w
}

// leaveSuspended GETs url with do and cancels the request once the
// handler of handleSuspend has suspended it: the client's request must end
// cancelled, and the suspended request complete with
// connector.ErrClientGone within Patience.
func leaveSuspended(t *testing.T, do func(*http.Request) (*http.Response, error), url string, w suspendWatch) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := do(req)
		if err == nil {
			resp.Body.Close()
			err = errors.New(resp.Status)
		}
		done <- err
	}()
	<-w.suspended
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the client's request ended with %v, want context.Canceled", err)
	}
	select {
	case err := <-w.completed:
		if !errors.Is(err, connector.ErrClientGone) {
			t.Errorf("OnComplete got %v, want connector.ErrClientGone", err)
		}
	case <-time.After(wharftest.Patience):
		t.Fatal("the suspended request did not end when its client left")
	}
}

// shutDown shuts c down within Patience (closing it if that fails) and
// checks that the serving call named name returned ErrServerClosed on
// served.
func shutDown(t *testing.T, c *container.Container, name string, served <-chan error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
		c.Close()
	}
	if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
		t.Errorf("%s returned %v", name, err)
	}
}
