package http2

import (
	"bytes"
	"log/slog"
	"net/http"
	"testing"
	"testing/synctest"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/dispatcher"
)

// answer serves every stream with an empty 200.
var answer = streamFunc(func(s connector.Stream) {
	s.WriteHead(200, "", http.Header{}, 0, nil)
	s.Finish(nil)
})

// Once the writer has written everything and no stream is open, it gives
// its batch back: a quiet connection keeps none. While a stream is open
// the batch stays from one run to the next. A stream dropped after the
// writer ended (here one whose client ends its body after the answer; in
// CI, a handler's Finish that lost the race to the writer) gives it back.
func TestH2QuietWriterKeepsNoBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		h := streamFunc(func(s connector.Stream) {
			if s.Request().Path == "/wait" {
				<-release
			}
			answer(s)
		})
		p := startH2Pipe(t, connector.Config{}, h)
		isHeaders := func(f xhttp2.Frame) bool { _, ok := f.(*xhttp2.MetaHeadersFrame); return ok }
		batch := func() []h2Frame {
			synctest.Wait()
			p.hc.mu.Lock()
			defer p.hc.mu.Unlock()
			if p.hc.writing {
				t.Fatal("the writer still runs")
			}
			return p.hc.batch
		}
		p.get(1, "/wait")
		p.get(3, "/")
		if p.next(isHeaders) == nil {
			t.Fatal("no response")
		}
		if batch() == nil {
			t.Error("the batch was given back with a stream open")
		}
		close(release)
		if p.next(isHeaders) == nil {
			t.Fatal("no response")
		}
		if b := batch(); b != nil {
			t.Errorf("a quiet connection keeps a batch of %d frames", cap(b))
		}

		p.post(5, "/") // answered before its body ends: the stream drains
		if p.next(isHeaders) == nil {
			t.Fatal("no response")
		}
		if batch() == nil {
			t.Error("the batch was given back with a stream draining")
		}
		p.fr.WriteData(5, true, nil)
		if b := batch(); b != nil {
			t.Errorf("the last stream ended after the writer: a batch of %d frames is kept", cap(b))
		}
	})
}

// clientOpening is what a client sends first: the preface, its SETTINGS,
// and a GET of / in a HEADERS frame that ends stream 1, whose block ends
// there if endHeaders.
func clientOpening(endHeaders bool) []byte {
	var in, hdr bytes.Buffer
	enc := hpack.NewEncoder(&hdr)
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: "x"}, {Name: ":path", Value: "/"},
	} {
		enc.WriteField(f)
	}
	in.WriteString(xhttp2.ClientPreface)
	fr := xhttp2.NewFramer(&in, nil)
	fr.WriteSettings()
	fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: hdr.Bytes(), EndStream: true, EndHeaders: endHeaders})
	return in.Bytes()
}

// A reader on a Waiter that runs out of bytes between header blocks gives
// the block's fields back with its buffer; one in the middle of a block
// keeps them.
func TestH2QuietReaderKeepsNoFields(t *testing.T) {
	tests := []struct {
		name       string
		endHeaders bool
		wantFields bool
	}{
		{"between blocks", true, false},
		{"inside a block", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wc := &waiterConn{in: bytes.NewReader(clientOpening(tt.endHeaders))}
			hc := newServerConn(&Server{}, &connector.Handover{
				Conn: wc, Reader: wc, Handler: answer,
				Info:   &api.ConnInfo{},
				Limits: new(connector.Config).Limits(), Logger: slog.New(slog.DiscardHandler),
				Execute: func(t dispatcher.Task) { t.Run() },
				Books:   pipeBooks{wc},
			})
			hc.read()
			hc.readG.Acquire()
			defer hc.readG.Release()
			if hc.br != nil {
				t.Error("the reader kept its buffer")
			}
			if got := hc.blk.fields != nil; got != tt.wantFields {
				t.Errorf("fields kept: %v, want %v", got, tt.wantFields)
			}
		})
	}
}
