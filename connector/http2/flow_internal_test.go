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
// and must not keep what the other streams read from coming back: with
// three streams holding a full stream window each (three quarters of the
// connection's), the fourth stream's handler reads all it was sent and the
// client must be given that window back, or the body never comes and both
// wait for ever (x/net's server sends an update once it would at least
// double the client's window).
func TestH2HeldBodiesDoNotStallConnectionWindow(t *testing.T) {
	for _, held := range []int{0, 1, 2, 3} {
		t.Run("held"+strconv.Itoa(held), func(t *testing.T) {
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
				chunk := make([]byte, 16<<10)
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
				for range held {
					p.post(id, "/hold")
					if got := send(id, h2StreamWindow); got != h2StreamWindow {
						t.Fatalf("stream %d: %d bytes sent, want a stream window", id, got)
					}
					id += 2
				}
				p.post(id, "/read")
				// Twice the stream's window: the handler reads as it comes.
				const want = 2 * h2StreamWindow
				sent := 0
				for range 4 {
					sent += send(id, want-sent)
					synctest.Wait()
				}
				mu.Lock()
				got := read
				mu.Unlock()
				if sent != want || got != want {
					t.Fatalf("with %d streams holding their bodies: %d bytes sent, %d read, want %d: the connection's window did not come back", held, sent, got, want)
				}
			})
		})
	}
}

// The same when what handlers hold leaves the client less than
// h2MinRefresh of the connection's window: the bytes of that rest that a
// handler reads are all the credit there is, and the client, its window
// spent, sends nothing more until it gets them back. Held bytes are
// counted in KiB; 1024 would hold the whole window, and nothing can come
// then.
func TestH2NearlyHeldConnectionWindow(t *testing.T) {
	for _, heldKiB := range []int{1016, 1020, 1021, 1022, 1023} {
		t.Run(strconv.Itoa(heldKiB)+"KiB", func(t *testing.T) {
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
				connWin := int64(65535)
				go func() {
					for f := range p.frames {
						if wu, ok := f.(*xhttp2.WindowUpdateFrame); ok && wu.StreamID == 0 {
							credit.Lock()
							connWin += int64(wu.Increment)
							credit.Unlock()
						}
					}
				}()
				synctest.Wait()
				chunk := make([]byte, 1<<10)
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
				for held := heldKiB << 10; held > 0; held -= h2StreamWindow {
					p.post(id, "/hold")
					n := min(held, h2StreamWindow)
					if got := send(id, n); got != n {
						t.Fatalf("stream %d: %d bytes sent, want %d", id, got, n)
					}
					id += 2
				}
				p.post(id, "/read")
				const want = 64 << 10
				sent := 0
				for range 4 {
					sent += send(id, want-sent)
					synctest.Wait()
				}
				mu.Lock()
				got := read
				mu.Unlock()
				if sent != want || got != want {
					t.Fatalf("with %d KiB held: %d bytes sent, %d read, want %d: the connection's window did not come back", heldKiB, sent, got, want)
				}
			})
		})
	}
}
