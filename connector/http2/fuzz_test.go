package http2

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
	"testing/synctest"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/connector"
)

// h2Seeds are frame sequences a client might send after its preface and
// SETTINGS: each a case of the tests above or of h2spec, written with
// x/net's framer.
func h2Seeds() [][]byte {
	block := func(fields ...string) []byte {
		var b bytes.Buffer
		enc := hpack.NewEncoder(&b)
		for i := 0; i+1 < len(fields); i += 2 {
			enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return b.Bytes()
	}
	get := block(":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/")
	post := block(":method", "POST", ":scheme", "http", ":authority", "x", ":path", "/", "content-length", "4")
	seq := func(write func(fr *xhttp2.Framer)) []byte {
		var b bytes.Buffer
		write(xhttp2.NewFramer(&b, nil))
		return b.Bytes()
	}
	return [][]byte{
		seq(func(fr *xhttp2.Framer) {
			fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: get, EndStream: true, EndHeaders: true})
		}),
		seq(func(fr *xhttp2.Framer) {
			fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: post, EndHeaders: true})
			fr.WriteDataPadded(1, false, []byte("bo"), []byte{0, 0, 0})
			fr.WriteData(1, true, []byte("dy"))
		}),
		seq(func(fr *xhttp2.Framer) {
			fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: get[:3], EndStream: true})
			fr.WriteContinuation(1, true, get[3:])
			fr.WriteRSTStream(1, xhttp2.ErrCodeCancel)
			fr.WriteData(1, true, []byte("late"))
		}),
		seq(func(fr *xhttp2.Framer) {
			fr.WritePing(false, [8]byte{1})
			fr.WriteSettings(xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 1}, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 0})
			fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 3, BlockFragment: get, EndStream: true, EndHeaders: true})
			fr.WriteWindowUpdate(3, 10)
			fr.WriteWindowUpdate(0, 1<<30)
			fr.WritePriority(3, xhttp2.PriorityParam{StreamDep: 3})
		}),
		seq(func(fr *xhttp2.Framer) {
			fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 5, BlockFragment: block(":method", "GET", ":path", "/", "connection", "x"), EndStream: true, EndHeaders: true})
			fr.WriteRawFrame(0xfa, 0, 0, []byte("unknown"))
			fr.WriteGoAway(0, xhttp2.ErrCodeNo, nil)
		}),
		seq(func(fr *xhttp2.Framer) {
			fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: post, EndHeaders: true})
			fr.WriteData(1, false, []byte("b"))
			fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: block("x-trailer", "1"), EndStream: true, EndHeaders: true})
		}),
	}
}

// FuzzH2Frames feeds arbitrary bytes after the client preface to a
// connection over an in-memory pipe, in a synctest bubble: whatever comes,
// the server must neither panic nor hang, and once the client leaves,
// every goroutine it started must end (synctest reports any left blocked).
// Whatever the server wrote back must read as valid HTTP/2 to x/net's
// framer (frame sequence, header blocks and fields), up to the close.
func FuzzH2Frames(f *testing.F) {
	for _, s := range h2Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		synctest.Test(t, func(t *testing.T) {
			h := streamFunc(func(s connector.Stream) {
				io.Copy(io.Discard, s.Request().Body)
				s.WriteHead(200, "", http.Header{}, 2, nil)
				s.WriteBody([]byte("ok"))
				s.Finish(nil)
			})
			p := startH2Pipe(t, connector.Config{}, h)
			drained := make(chan struct{})
			go func() {
				for range p.frames {
				}
				close(drained)
			}()
			p.nc.Write(in)
			synctest.Wait()
			p.nc.Close()
			<-p.done
			<-drained
			if err := p.readErr; !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
				t.Fatalf("the server wrote what x/net's framer cannot read: %v", err)
			}
		})
	})
}
