package container

import (
	"net/http"
	"os"
	"reflect"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// headStream is a connector.Stream that records the head it was given;
// it writes without blocking when nb is set. Methods the output does not
// call here are the embedded nil interface's.
type headStream struct {
	connector.Stream
	head api.RequestHead
	nb   bool
	sent http.Header
	// typ is WriteHead's contentType, nilHeader whether its h was nil.
	typ       string
	nilHeader bool
}

func (s *headStream) Request() *api.RequestHead { return &s.head }
func (s *headStream) WriteHead(_ int, ct string, h http.Header, _ int64, _ []string) error {
	s.typ, s.nilHeader = ct, h == nil
	s.sent = h.Clone()
	if ct != "" {
		if s.sent == nil {
			s.sent = make(http.Header)
		}
		s.sent["Content-Type"] = []string{ct}
	}
	return nil
}
func (s *headStream) WriteBody([]byte) error                            { return nil }
func (s *headStream) Flush() error                                      { return nil }
func (s *headStream) NonBlocking() bool                                 { return s.nb }
func (s *headStream) WriteBodyNow([]byte) (bool, error)                 { return true, nil }
func (s *headStream) SendFileNow(*os.File, int64, int64) (int64, error) { return 0, nil }
func (s *headStream) NotifyWritable(f func())                           { f() }

// A response that goes on after its head (flushed, past its buffer, or
// written without blocking) keeps the fields it sent instead of its header
// map; Header returns a copy of them, and changing it changes neither what
// was sent nor what Header returns next.
func TestSentHeaderReplacesTheMap(t *testing.T) {
	tests := []struct {
		name   string
		fields http.Header
		nb     bool
		commit func(o *output) error
	}{
		{"flush", http.Header{"Content-Type": {"text/event-stream"}, "Cache-Control": {"no-cache"}}, false,
			func(o *output) error { return o.Flush() }},
		{"past the buffer", http.Header{"X-Many": {"1", "2", "3"}, "Vary": {"Origin"}, "Content-Type": {"application/octet-stream"}}, false,
			func(o *output) error { _, err := o.Write(make([]byte, 64)); return err }},
		{"without blocking", http.Header{"Content-Type": {"text/plain"}}, true,
			func(o *output) error { _, err := o.WriteNow([]byte("x")); return err }},
		{"no fields", http.Header{}, false, func(o *output) error { return o.Flush() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &headStream{nb: tt.nb}
			s.head.Method = http.MethodGet
			var o output
			o.init(s, &outBufs{size: 16})
			for k, vs := range tt.fields {
				for _, v := range vs {
					o.Header().Add(k, v)
				}
			}
			if err := tt.commit(&o); err != nil {
				t.Fatal(err)
			}
			if o.header != nil {
				t.Error("the header map is kept after the head was sent")
			}
			if len(s.sent)+len(tt.fields) > 0 && !reflect.DeepEqual(s.sent, tt.fields) {
				t.Errorf("sent %v, want %v", s.sent, tt.fields)
			}
			got := o.Header()
			if !reflect.DeepEqual(got, tt.fields) {
				t.Errorf("Header after the head: %v, want %v", got, tt.fields)
			}
			got.Set("X-Late", "1")
			got.Del("Vary")
			if again := o.Header(); !reflect.DeepEqual(again, tt.fields) {
				t.Errorf("Header after a change to its copy: %v, want %v", again, tt.fields)
			}
			if _, ok := s.sent["X-Late"]; ok {
				t.Error("a field set after the head was sent")
			}
		})
	}
}

// A response that ends with its head keeps its map (it is never read
// again, and copying it would cost every small response).
func TestSentHeaderNotMadeForASingleWrite(t *testing.T) {
	s := &headStream{}
	var o output
	o.init(s, &outBufs{size: 4096})
	o.Header().Set("Content-Type", "text/plain")
	if _, err := o.WriteString("hello"); err != nil {
		t.Fatal(err)
	}
	if err := o.commit(int64(len(o.buf))); err != nil {
		t.Fatal(err)
	}
	if o.sentHdr != nil || o.header == nil {
		t.Error("a response ending with its head copied its fields")
	}
}

// Buffers of the pooled capacity go back to the pool as arrays and come
// out again; others are left to the collector.
func TestOutputBufferPool(t *testing.T) {
	bufs := &outBufs{size: 1 << 20}
	var o output
	o.init(&headStream{}, bufs)
	o.grow(10)
	if cap(o.buf) != pooledCap {
		t.Fatalf("a small body got a buffer of %d, want %d", cap(o.buf), pooledCap)
	}
	first := &o.buf[:1][0]
	o.release()
	if o.buf != nil {
		t.Fatal("release kept the buffer")
	}
	o.grow(10)
	if got := &o.buf[:1][0]; got != first && !wharftest.RaceEnabled {
		t.Error("the released buffer did not come back from the pool")
	}
	o.release()
	o.grow(pooledCap + 1)
	if cap(o.buf) == pooledCap {
		t.Fatalf("a large body got a pooled buffer")
	}
	o.release()
	if b, _ := bufs.pool.Get().(*[pooledCap]byte); b == nil && !wharftest.RaceEnabled {
		t.Error("the pool lost its buffer")
	}
}
