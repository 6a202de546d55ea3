package wharftest

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
)

// ReceiveOnly is a group of WebSocket clients (gorilla's) that read, and so
// answer pings as gorilla's client does while it reads, but never send a
// message: a ticker's, a dashboard's or a chat lurker's clients. It counts
// the clients whose connection ended before the test closed them, and the
// close codes every reader ended with.
type ReceiveOnly struct {
	Conns   []*gws.Conn
	Readers sync.WaitGroup
	// Closing says the test is ending the clients: what ends now is not
	// lost.
	Closing atomic.Bool
	Lost    atomic.Int32
	first   atomic.Pointer[error]
	codes   sync.Map // close code → *atomic.Int32
}

// Dial connects n clients with d, client i to url(i), 10 at a time, and
// with read starts reading each as soon as it is connected.
func (ro *ReceiveOnly) Dial(t testing.TB, d *gws.Dialer, url func(i int) string, n int, read bool) {
	t.Helper()
	ro.Conns = make([]*gws.Conn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ws, _, err := d.Dial(url(i), nil)
			if err != nil {
				errs <- err
				return
			}
			ro.Conns[i] = ws
			if read {
				ro.Read(ws)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("dial: %v", err)
	}
}

// Read starts a reader for ws. It answers pings as gorilla's client does,
// but gives each pong Patience to be written rather than gorilla's second:
// on a loaded machine a pong written late timed out, and a TLS connection
// whose write timed out can write nothing more, so the server rightly
// dropped a client the test meant to be live.
func (ro *ReceiveOnly) Read(ws *gws.Conn) {
	ws.SetPingHandler(func(data string) error {
		err := ws.WriteControl(gws.PongMessage, []byte(data), time.Now().Add(Patience))
		var ne net.Error
		if err == gws.ErrCloseSent || errors.As(err, &ne) {
			return nil // as gorilla's: the reader sees what broke
		}
		return err
	})
	ro.Readers.Go(func() {
		for {
			_, _, err := ws.ReadMessage()
			if err == nil {
				continue
			}
			code := gws.CloseAbnormalClosure
			var ce *gws.CloseError
			if errors.As(err, &ce) {
				code = ce.Code
			}
			n, _ := ro.codes.LoadOrStore(code, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
			if !ro.Closing.Load() {
				ro.Lost.Add(1)
				ro.first.CompareAndSwap(nil, &err)
			}
			return
		}
	})
}

// Why returns the first lost client's error, or nil.
func (ro *ReceiveOnly) Why() error {
	if p := ro.first.Load(); p != nil {
		return *p
	}
	return nil
}

// Count returns how many readers ended with the close code (1006 for a
// connection that broke without a close frame).
func (ro *ReceiveOnly) Count(code int) int {
	n, ok := ro.codes.Load(code)
	if !ok {
		return 0
	}
	return int(n.(*atomic.Int32).Load())
}

// Close ends every client with a close handshake and waits for their
// readers.
func (ro *ReceiveOnly) Close() {
	ro.Closing.Store(true)
	for _, ws := range ro.Conns {
		if ws != nil {
			ws.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""), time.Now().Add(5*time.Second))
		}
	}
	ro.Readers.Wait()
	for _, ws := range ro.Conns {
		if ws != nil {
			ws.Close()
		}
	}
}
