package http2

import (
	"net/http"
	"sync"
	"testing"
	"testing/synctest"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/connector"
)

// wakeCounter is a connection's cond.L that counts the wake-ups of the
// goroutines waiting on its cond: cond.Wait takes the lock through it, and
// nothing else does.
type wakeCounter struct {
	mu *sync.Mutex
	n  int // under mu
}

func (w *wakeCounter) Lock()   { w.mu.Lock(); w.n++ }
func (w *wakeCounter) Unlock() { w.mu.Unlock() }

// Responses stalled on their streams' windows (the client set
// SETTINGS_INITIAL_WINDOW_SIZE to 0 and opens none) wait for the client.
// A frame that cannot let any of them go on must not wake them: each such
// frame would cost the server a wake-up of every stalled handler, so that a
// client holding h2MaxStreams of them made each of its 9-byte frames cost
// up to 250 goroutines' work. Only a frame that gives a waiting response a
// window (or the writer, room in the queue) wakes them.
func TestH2StalledStreamsNotWoken(t *testing.T) {
	const stalled, floods = 20, 100
	for _, tc := range []struct {
		name string
		send func(fr *xhttp2.Framer)
	}{
		{"WINDOW_UPDATE on the open connection window", func(fr *xhttp2.Framer) { fr.WriteWindowUpdate(0, 1) }},
		{"SETTINGS without a change", func(fr *xhttp2.Framer) {
			fr.WriteSettings(xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 0})
		}},
		{"SETTINGS with a window that stays shut", func(fr *xhttp2.Framer) {
			fr.WriteSettings(xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 1}, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 0})
		}},
		{"PING", func(fr *xhttp2.Framer) { fr.WritePing(false, [8]byte{1}) }},
		{"PRIORITY", func(fr *xhttp2.Framer) { fr.WritePriority(1, xhttp2.PriorityParam{StreamDep: 3, Weight: 1}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				body := make([]byte, h2MaxFrame+1) // a full frame goes out, and waits
				h := streamFunc(func(s connector.Stream) {
					s.WriteHead(http.StatusOK, "", http.Header{}, int64(len(body)), nil)
					s.WriteBody(body)
					s.Finish(nil)
				})
				p := startH2Pipe(t, connector.Config{}, h, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 0})
				go func() {
					for range p.frames {
					}
				}()
				wc := &wakeCounter{mu: &p.hc.mu}
				p.hc.mu.Lock()
				p.hc.cond.L = wc // no goroutine waits on cond yet
				p.hc.mu.Unlock()
				for i := range uint32(stalled) {
					p.get(2*i+1, "/")
				}
				synctest.Wait()
				p.hc.mu.Lock()
				waiting := 0
				for _, st := range p.hc.streams {
					waiting += st.waits
				}
				wc.n = 0
				p.hc.mu.Unlock()
				if waiting != stalled {
					t.Fatalf("%d responses wait for a window, want %d", waiting, stalled)
				}
				for range floods {
					tc.send(p.fr)
					synctest.Wait()
				}
				p.hc.mu.Lock()
				woken := wc.n
				p.hc.mu.Unlock()
				if woken != 0 {
					t.Errorf("%d frames woke the stalled responses %d times, want 0", floods, woken)
				}
			})
		})
	}
}
