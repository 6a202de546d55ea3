package http2

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/connector"
)

// Bytes a handler has not read yet hold the connection's receive window,
// and must not keep what the other streams read from coming back. With
// streams holding a full stream window each (up to three quarters of the
// connection's), a stream whose handler reads all it was sent must get
// that window back, or the body never comes and both wait for ever (x/net's
// server sends an update once it would at least double the client's
// window). The same when what handlers hold leaves the client less than
// h2MinRefresh of the window: the bytes of that rest that a handler reads
// are all the credit there is, and the client, its window spent, sends
// nothing more until it gets them back (1024 KiB would hold the whole
// window, and nothing could come then).
func TestH2HeldBodiesDoNotStallConnectionWindow(t *testing.T) {
	for _, tt := range []struct {
		held, chunk, want int
	}{
		{0, 16 << 10, 2 * h2StreamWindow},
		{1 * h2StreamWindow, 16 << 10, 2 * h2StreamWindow},
		{2 * h2StreamWindow, 16 << 10, 2 * h2StreamWindow},
		{3 * h2StreamWindow, 16 << 10, 2 * h2StreamWindow},
		{1016 << 10, 1 << 10, 64 << 10},
		{1020 << 10, 1 << 10, 64 << 10},
		{1021 << 10, 1 << 10, 64 << 10},
		{1022 << 10, 1 << 10, 64 << 10},
		{1023 << 10, 1 << 10, 64 << 10},
	} {
		t.Run(strconv.Itoa(tt.held>>10)+"KiB", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				var mu sync.Mutex
				read := 0
				h := streamFunc(func(s connector.Stream) {
					if s.Request().Path == "/hold" {
						<-release
					} else {
						buf := make([]byte, 32<<10)
						for {
							n, err := s.Request().Body.Read(buf)
							mu.Lock()
							read += n
							mu.Unlock()
							if err != nil {
								break
							}
						}
					}
					s.WriteHead(200, "", http.Header{}, 0, nil)
					s.Finish(nil)
				})
				p := startH2Pipe(t, connector.Config{}, h)
				defer close(release)
				var credit sync.Mutex
				connWin := int64(65535) // the client's send window on the connection
				go func() {
					for f := range p.frames {
						if wu, ok := f.(*xhttp2.WindowUpdateFrame); ok && wu.StreamID == 0 {
							credit.Lock()
							connWin += int64(wu.Increment)
							credit.Unlock()
						}
					}
				}()
				synctest.Wait() // the server's SETTINGS and first WINDOW_UPDATE
				chunk := make([]byte, tt.chunk)
				// send sends n bytes on stream id, within the connection's
				// window as the client knows it; it reports how many went.
				send := func(id uint32, n int) int {
					sent := 0
					for sent < n {
						credit.Lock()
						ok := connWin >= int64(len(chunk))
						if ok {
							connWin -= int64(len(chunk))
						}
						credit.Unlock()
						if !ok {
							break
						}
						p.fr.WriteData(id, false, chunk)
						sent += len(chunk)
						synctest.Wait()
					}
					return sent
				}
				id := uint32(1)
				for held := tt.held; held > 0; held -= h2StreamWindow {
					p.post(id, "/hold")
					n := min(held, h2StreamWindow)
					if got := send(id, n); got != n {
						t.Fatalf("stream %d: %d bytes sent, want %d", id, got, n)
					}
					id += 2
				}
				p.post(id, "/read")
				sent := 0
				for range 4 {
					sent += send(id, tt.want-sent)
					synctest.Wait()
				}
				mu.Lock()
				got := read
				mu.Unlock()
				if sent != tt.want || got != tt.want {
					t.Fatalf("with %d bytes held: %d bytes sent, %d read, want %d: the connection's window did not come back", tt.held, sent, got, tt.want)
				}
			})
		})
	}
}
