package connector_test

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The connection a hand-over to HTTP/2 gets on the epoll connector (a
// connector.Waiter over the connection's Tunnel) keeps net.Conn's
// deadlines for a reader that holds no goroutine: a parked NotifyReadable
// is called when bytes come, when its read deadline passes (as moved
// while it waits) and on Close; Write waits while the peer reads nothing,
// until its deadline, which another goroutine may move.

// waitFor waits for ch, failing the test after wharftest.Patience.
func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(wharftest.Patience):
		t.Fatalf("no %s within %v", what, wharftest.Patience)
	}
}

// notified parks a NotifyReadable on wc and returns its channel.
func notified(wc connector.Waiter) <-chan struct{} {
	ch := make(chan struct{})
	wc.NotifyReadable(func() { close(ch) })
	return ch
}

func TestWaitConnReadDeadline(t *testing.T) {
	eachTunnelKind(t, func(t *testing.T, useTLS bool) {
		_, nc, tun := openTunnel(t, useTLS)
		wc := connector.WaitConn(tun)
		buf := make([]byte, 64)
		if _, err := wc.TryRead(buf); err != api.ErrWouldBlock {
			t.Fatalf("TryRead of nothing: %v", err)
		}

		// A deadline set while the reader waits calls it back, then
		// fails TryRead; clearing it lets TryRead wait again.
		ch := notified(wc)
		wc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		waitFor(t, "callback at the read deadline", ch)
		if _, err := wc.TryRead(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("TryRead after the deadline: %v", err)
		}
		wc.SetReadDeadline(time.Time{})
		if _, err := wc.TryRead(buf); err != api.ErrWouldBlock {
			t.Fatalf("TryRead with the deadline cleared: %v", err)
		}

		// A deadline moved to the past while the reader waits calls it
		// at once; one cleared leaves it for the bytes.
		wc.SetReadDeadline(time.Now().Add(time.Hour))
		ch = notified(wc)
		wc.SetReadDeadline(time.Now().Add(-time.Second))
		waitFor(t, "callback for a deadline moved to the past", ch)
		wc.SetReadDeadline(time.Now().Add(time.Hour))
		ch = notified(wc)
		wc.SetReadDeadline(time.Time{})
		if _, err := io.WriteString(nc, "ping"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "callback for bytes", ch)
		n, err := wc.TryRead(buf)
		for err == api.ErrWouldBlock { // the edge may precede what crypto/tls can decrypt
			ch = notified(wc)
			waitFor(t, "callback for the rest of a record", ch)
			n, err = wc.TryRead(buf)
		}
		if err != nil || string(buf[:n]) != "ping" {
			t.Fatalf("TryRead: %q, %v", buf[:n], err)
		}

		// Close calls a waiting reader back; TryRead then fails.
		ch = notified(wc)
		wc.Close()
		waitFor(t, "callback on Close", ch)
		if _, err := wc.TryRead(buf); err == nil || err == api.ErrWouldBlock {
			t.Fatalf("TryRead after Close: %v", err)
		}
		ch = notified(wc)
		waitFor(t, "callback of a NotifyReadable after Close", ch)
	})
}

// Read waits for bytes, at most until the read deadline.
func TestWaitConnRead(t *testing.T) {
	eachTunnelKind(t, func(t *testing.T, useTLS bool) {
		_, nc, tun := openTunnel(t, useTLS)
		wc := connector.WaitConn(tun)
		go io.WriteString(nc, "hello")
		buf := make([]byte, 5)
		if _, err := io.ReadFull(wc, buf); err != nil || string(buf) != "hello" {
			t.Fatalf("Read: %q, %v", buf, err)
		}
		wc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := wc.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read past the deadline: %v", err)
		}
		var ne net.Error
		if _, err := wc.Read(buf); !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("a deadline's error is not a net.Error timeout: %v", err)
		}
	})
}

// Write waits while the peer reads nothing, and fails at its deadline:
// set before it, or moved by another goroutine while it waits.
func TestWaitConnWriteDeadline(t *testing.T) {
	eachTunnelKind(t, func(t *testing.T, useTLS bool) {
		_, _, tun := openTunnel(t, useTLS)
		wc := connector.WaitConn(tun)
		// More than both socket buffers hold. Over TLS the Tunnel takes
		// one write's ciphertext whole, so the second write waits.
		big := make([]byte, bigWrite)
		writeTwice := func() error {
			if _, err := wc.Write(big); err != nil {
				return err
			}
			_, err := wc.Write(big)
			return err
		}
		wc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if err := writeTwice(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Write to a peer reading nothing: %v", err)
		}

		_, _, tun = openTunnel(t, useTLS)
		wc = connector.WaitConn(tun)
		wc.SetWriteDeadline(time.Now().Add(time.Hour))
		failed := make(chan error, 1)
		go func() { failed <- writeTwice() }()
		// Moved by another goroutine, the deadline ends the Write, which
		// would otherwise wait for an hour.
		wharftest.WaitFor(t, "the Write to wait for the socket", func() bool { return connector.WritesWaiting(wc) == 1 })
		wc.SetWriteDeadline(time.Now())
		select {
		case err := <-failed:
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Write whose deadline moved: %v", err)
			}
		case <-time.After(wharftest.Patience):
			t.Fatal("a Write went on past its deadline, moved while it waited")
		}
	})
}

// CloseWrite ends what the peer reads (over TLS with close_notify) while
// the connection still reads what the peer sends.
func TestWaitConnCloseWrite(t *testing.T) {
	eachTunnelKind(t, func(t *testing.T, useTLS bool) {
		_, nc, tun := openTunnel(t, useTLS)
		wc := connector.WaitConn(tun)
		if _, err := wc.Write([]byte("bye")); err != nil {
			t.Fatal(err)
		}
		if err := wc.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(nc) // the 101 the handler wrote, then ours
		if err != nil || !strings.HasSuffix(string(got), "\r\n\r\nbye") {
			t.Fatalf("the peer read %q, %v; want \"bye\" after the 101, and the end", got, err)
		}
		go io.WriteString(nc, "still")
		buf := make([]byte, 5)
		wc.SetReadDeadline(time.Now().Add(wharftest.Patience))
		if _, err := io.ReadFull(wc, buf); err != nil || string(buf) != "still" {
			t.Fatalf("Read after CloseWrite: %q, %v", buf, err)
		}
		wc.Close()
	})
}

// A reader woken by another goroutine (a deadline moved into the past, as
// Shutdown and a starved connection do) while NotifyReadable still
// registers with the Tunnel reads only once that returned: under -race,
// TryRead inside the callback must not race with the registration.
func TestWaitConnWokenWhileParking(t *testing.T) {
	eachTunnelKind(t, func(t *testing.T, useTLS bool) {
		_, _, tun := openTunnel(t, useTLS)
		wc := connector.WaitConn(tun)
		buf := make([]byte, 64)
		for i := range 300 {
			wc.SetReadDeadline(time.Time{})
			if _, err := wc.TryRead(buf); err != api.ErrWouldBlock {
				t.Fatal(err)
			}
			woken := make(chan struct{})
			start := make(chan struct{})
			go func() {
				<-start
				spin(i % 7 * 300) // vary where in NotifyReadable the firing lands
				wc.SetReadDeadline(time.Now().Add(-time.Second))
			}()
			close(start)
			wc.NotifyReadable(func() {
				wc.SetReadDeadline(time.Time{})
				wc.TryRead(buf)
				close(woken)
			})
			waitFor(t, "the reader woken by its deadline", woken)
		}
	})
}

// A Write that gave up on its deadline leaves nothing for Close to send:
// over TLS the ciphertext the Tunnel took is dropped, so the socket goes
// at once instead of lingering for the write timeout.
func TestWaitConnCloseAfterWriteDeadline(t *testing.T) {
	eachTunnelKind(t, func(t *testing.T, useTLS bool) {
		ts, _, tun := openTunnel(t, useTLS)
		wc := connector.WaitConn(tun)
		big := make([]byte, bigWrite)
		wc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		var err error
		for range 2 { // over TLS the first is taken whole
			if _, err = wc.Write(big); err != nil {
				break
			}
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Write to a peer reading nothing: %v", err)
		}
		wc.Close()
		wharftest.WaitFor(t, "the connection to close", func() bool { return ts.srv.Stats().Open == 0 })
	})
}

// spin burns about n small steps of CPU, to shift one goroutine's timing
// against another's without sleeping.
func spin(n int) {
	x := 0
	for i := range n {
		x += i
	}
	runtime.KeepAlive(x)
}
