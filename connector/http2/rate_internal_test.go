package http2

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
)

// post opens stream id with a POST of path whose body follows.
func (p *h2Pipe) post(id uint32, path string) {
	p.buf.Reset()
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: "x"}, {Name: ":path", Value: path},
	} {
		p.enc.WriteField(f)
	}
	p.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: id, BlockFragment: p.buf.Bytes(), EndHeaders: true})
}

// sleep sleeps for d; true if the connection ended meanwhile.
func (p *h2Pipe) sleep(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

func isRST(id uint32) func(xhttp2.Frame) bool {
	return func(f xhttp2.Frame) bool {
		r, ok := f.(*xhttp2.RSTStreamFrame)
		return ok && r.StreamID == id
	}
}

// result records what a handler got, for the test to look at after
// synctest.Wait.
type result struct {
	mu   sync.Mutex
	err  error
	took time.Duration
	n    int
}

func (r *result) set(n int, err error, took time.Duration) {
	r.mu.Lock()
	r.n, r.err, r.took = n, err, took
	r.mu.Unlock()
}

func (r *result) get() (int, time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n, r.took, r.err
}

// A body that comes a byte a second, each within ReadTimeout, is slower
// than MinRequestDataRate (240 B/s): the read fails once DataRateGrace
// (2 s here) of waiting is spent, with a 408 wrapping ErrTooSlow. The
// stream is answered, then reset with NO_ERROR (the client may stop
// sending), and as the connection has no other stream, it ends with
// GOAWAY ENHANCE_YOUR_CALM.
func TestH2SlowBodyRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var res result
		h := streamFunc(func(s connector.Stream) {
			start := time.Now()
			n, err := io.Copy(io.Discard, s.Request().Body)
			res.set(int(n), err, time.Since(start))
			s.WriteHead(http.StatusRequestTimeout, "", http.Header{}, 0, nil)
			s.Finish(nil)
		})
		p := startH2Pipe(t, connector.Config{DataRateGrace: 2 * time.Second}, h)
		p.post(1, "/")
		go func() {
			for range 10 {
				if p.fr.WriteData(1, false, []byte("x")) != nil || p.sleep(time.Second) {
					return
				}
			}
		}()
		// The GOAWAY goes ahead of what is queued: the order varies.
		var rst, goAway xhttp2.Frame
		status := false
		for f := range p.frames {
			switch {
			case isRST(1)(f):
				rst = f
			case isGoAway(f):
				goAway = f
			default:
				if h, ok := f.(*xhttp2.MetaHeadersFrame); ok && h.StreamID == 1 && h.PseudoValue("status") == "408" {
					status = true
				}
			}
		}
		if !status {
			t.Error("no 408 on stream 1")
		}
		if rst == nil || rst.(*xhttp2.RSTStreamFrame).ErrCode != xhttp2.ErrCodeNo {
			t.Fatalf("got %v, want RST_STREAM NO_ERROR", rst)
		}
		if goAway == nil || goAway.(*xhttp2.GoAwayFrame).ErrCode != xhttp2.ErrCodeEnhanceYourCalm {
			t.Fatalf("got %v, want GOAWAY ENHANCE_YOUR_CALM", goAway)
		}
		<-p.done
		n, took, err := res.get()
		var se *api.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusRequestTimeout || !errors.Is(err, connector.ErrTooSlow) {
			t.Fatalf("body read: %v; want a 408 wrapping ErrTooSlow", err)
		}
		// The first byte came with the HEADERS' stream; the others a
		// second apart, each earning 1/240 s: the grace is spent after
		// 2 s and a few milliseconds of waiting.
		if took < 2*time.Second || took > 3*time.Second || n < 2 || n > 3 {
			t.Fatalf("read %d bytes in %v; want 2 or 3 in about 2 s", n, took)
		}
	})
}

// ReadBodyTimeout bounds a whole body, even one that comes fast enough.
func TestH2ReadBodyTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var res result
		h := streamFunc(func(s connector.Stream) {
			start := time.Now()
			n, err := io.Copy(io.Discard, s.Request().Body)
			res.set(int(n), err, time.Since(start))
			s.Abort(err)
		})
		p := startH2Pipe(t, connector.Config{ReadBodyTimeout: 3 * time.Second}, h)
		p.post(1, "/")
		go func() {
			for range 100 {
				if p.fr.WriteData(1, false, make([]byte, 1000)) != nil || p.sleep(100*time.Millisecond) { // 10 kB/s
					return
				}
			}
		}()
		// The handler's response was committed (here: none, but it
		// aborts): the stream is reset ENHANCE_YOUR_CALM.
		if f := p.next(isRST(1)); f == nil || f.(*xhttp2.RSTStreamFrame).ErrCode != xhttp2.ErrCodeEnhanceYourCalm {
			t.Fatalf("got %v, want RST_STREAM ENHANCE_YOUR_CALM", f)
		}
		synctest.Wait()
		p.nc.Close()
		<-p.done
		n, took, err := res.get()
		if !errors.Is(err, connector.ErrTooSlow) || took != 3*time.Second || n < 20000 {
			t.Fatalf("read %d bytes in %v, then %v; want ErrTooSlow at 3 s", n, took, err)
		}
	})
}

// A client that opens its window a few bytes at a time moves the response
// along, each update well within WriteTimeout. At 100 B/s, below the
// 240 B/s default, its bytes never earn the waiting they take, so once the
// 5 s grace is spent the write fails with ErrTooSlow, the stream is reset
// with ENHANCE_YOUR_CALM and, as it was the connection's only one, the
// connection ends with GOAWAY ENHANCE_YOUR_CALM. At 400 B/s the response
// is taken whole, however long after the grace.
func TestH2SlowWindowRate(t *testing.T) {
	for _, tc := range []struct {
		name string
		step uint32 // window opened every 100 ms
		size int
		cut  bool
	}{
		{"100 B/s is cut after the grace", 10, 100 << 10, true},
		{"400 B/s is served", 40, 4000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testH2SlowWindowRate(t, tc.step, tc.size, tc.cut) })
		})
	}
}

func testH2SlowWindowRate(t *testing.T, step uint32, size int, cut bool) {
	var res result
	h := streamFunc(func(s connector.Stream) {
		start := time.Now()
		s.WriteHead(200, "", http.Header{}, -1, nil)
		err := s.WriteBody(make([]byte, size))
		if err == nil {
			err = s.Finish(nil)
		} else {
			s.Abort(err)
		}
		res.set(0, err, time.Since(start))
	})
	p := startH2Pipe(t, connector.Config{}, h, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: step})
	start := time.Now()
	p.get(1, "/")
	go func() {
		for {
			if p.sleep(100*time.Millisecond) || p.fr.WriteWindowUpdate(1, step) != nil {
				return
			}
		}
	}()
	if !cut {
		got := 0
		for f := range p.frames {
			if d, ok := f.(*dataCopy); ok {
				got += len(d.data)
				if d.end {
					break
				}
			}
			if _, ok := f.(*xhttp2.RSTStreamFrame); ok || isGoAway(f) {
				t.Fatalf("got %v after %v", f, time.Since(start))
			}
		}
		if got != size {
			t.Fatalf("got %d bytes, want %d", got, size)
		}
		synctest.Wait()
		if _, took, err := res.get(); err != nil || took < 9*time.Second {
			t.Fatalf("Finish: %v after %v; want the whole response, in about 10 s", err, took)
		}
		p.nc.Close()
		<-p.done
		return
	}
	var rst, goAway xhttp2.Frame
	for f := range p.frames {
		if isRST(1)(f) && rst == nil {
			rst = f
			if d := time.Since(start); d < 5*time.Second || d > 5*time.Second+100*time.Millisecond {
				t.Errorf("reset after %v, want the 5 s grace", d)
			}
		}
		if isGoAway(f) {
			goAway = f
		}
	}
	if rst == nil || rst.(*xhttp2.RSTStreamFrame).ErrCode != xhttp2.ErrCodeEnhanceYourCalm {
		t.Fatalf("got %v, want RST_STREAM ENHANCE_YOUR_CALM", rst)
	}
	if goAway == nil || goAway.(*xhttp2.GoAwayFrame).ErrCode != xhttp2.ErrCodeEnhanceYourCalm {
		t.Fatalf("got %v, want GOAWAY ENHANCE_YOUR_CALM", goAway)
	}
	<-p.done
	synctest.Wait()
	if _, _, err := res.get(); !errors.Is(err, connector.ErrTooSlow) {
		t.Fatalf("write: %v, want ErrTooSlow", err)
	}
}

// The connection ends only when every stream is starved: while another
// stream's handler is busy, a slow reader's reset leaves the connection
// serving, and once that stream too waits for the client and is reset,
// the connection ends.
func TestH2StarvedNeedsEveryStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		h := streamFunc(func(s connector.Stream) {
			if s.Request().Path == "/busy" {
				<-release
			}
			s.WriteHead(200, "", http.Header{}, -1, nil)
			if err := s.WriteBody(make([]byte, 100<<10)); err != nil {
				s.Abort(err)
				return
			}
			s.Finish(nil)
		})
		p := startH2Pipe(t, connector.Config{}, h, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 0})
		start := time.Now()
		p.get(1, "/slow")
		p.get(3, "/busy")
		if f := p.next(isRST(1)); f == nil || f.(*xhttp2.RSTStreamFrame).ErrCode != xhttp2.ErrCodeEnhanceYourCalm {
			t.Fatalf("got %v, want RST_STREAM ENHANCE_YOUR_CALM on stream 1", f)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Fatalf("stream 1 reset after %v, want the 5 s grace", d)
		}
		time.Sleep(10 * time.Second)
		p.fr.WritePing(false, [8]byte{9})
		if f := p.next(func(f xhttp2.Frame) bool {
			_, ping := f.(*xhttp2.PingFrame)
			return ping || isGoAway(f)
		}); f == nil || isGoAway(f) {
			t.Fatalf("got %v, want the connection to answer PING while stream 3's handler is busy", f)
		}
		close(release)
		var rst, goAway xhttp2.Frame
		for f := range p.frames {
			if isRST(3)(f) {
				rst = f
			}
			if isGoAway(f) {
				goAway = f
				if d := time.Since(start); d != 20*time.Second {
					t.Errorf("connection ended after %v, want 15 s + stream 3's 5 s grace", d)
				}
			}
		}
		if rst == nil || rst.(*xhttp2.RSTStreamFrame).ErrCode != xhttp2.ErrCodeEnhanceYourCalm {
			t.Fatalf("got %v, want RST_STREAM ENHANCE_YOUR_CALM on stream 3", rst)
		}
		if goAway == nil || goAway.(*xhttp2.GoAwayFrame).ErrCode != xhttp2.ErrCodeEnhanceYourCalm {
			t.Fatalf("got %v, want GOAWAY ENHANCE_YOUR_CALM", goAway)
		}
		<-p.done
	})
}

// A client that opens its windows wide but stops reading its socket makes
// the response wait for room in the connection's queue, which only the
// socket drains: that is waiting for the client too. Once the response's
// waiting outgrows what its bytes earn (MinResponseDataRate 1 MiB/s here,
// so that the megabytes taken at once earn seconds, not hours), the write
// fails with ErrTooSlow and the connection, starved, ends: the writer
// stuck on the socket is given a second (h2GoAwayTimeout).
func TestH2SlowSocketReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var res result
		h := streamFunc(func(s connector.Stream) {
			start := time.Now()
			s.WriteHead(200, "", http.Header{}, -1, nil)
			err := s.WriteBody(make([]byte, 8<<20))
			s.Abort(err)
			res.set(0, err, time.Since(start))
		})
		p := startH2Pipe(t, connector.Config{MinResponseDataRate: 1 << 20}, h, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 1 << 30})
		p.fr.WriteWindowUpdate(0, 1<<30)
		start := time.Now()
		p.get(1, "/")
		// The client reads no frame from now on (p.frames holds 64 and
		// its reader then blocks).
		<-p.done
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("connection ended after %v", d)
		}
		synctest.Wait()
		go func() {
			for range p.frames {
			}
		}()
		_, took, err := res.get()
		t.Logf("write failed after %v, connection ended after %v", took, time.Since(start))
		if !errors.Is(err, connector.ErrTooSlow) || took > 10*time.Second {
			t.Fatalf("write: %v after %v, want ErrTooSlow", err, took)
		}
	})
}
