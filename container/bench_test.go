package container_test

import (
	"bufio"
	"net"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
)

// fakeStream is a reusable connector.Stream for measuring the container's
// own per-request cost, without a network.
type fakeStream struct {
	head    api.RequestHead
	written int
}

func (s *fakeStream) Request() *api.RequestHead { return &s.head }
func (s *fakeStream) WriteHead(status int, ct string, h http.Header, n int64, tr []string) error {
	return nil
}
func (s *fakeStream) WriteBody(p []byte) error { s.written += len(p); return nil }
func (s *fakeStream) Flush() error             { return nil }
func (s *fakeStream) Finish(http.Header) error { return nil }
func (s *fakeStream) Abort(error)              {}
func (s *fakeStream) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, api.ErrNotSupported
}
func (s *fakeStream) Watch(connector.Watcher) {}

func helloContainer() *container.Container {
	c := container.New()
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("Hello, world!")
		return err
	})
	c.Start()
	return c
}

// BenchmarkServeStream is the container's share of a plaintext request:
// mapping, the exchange, the handler, and the buffered response.
func BenchmarkServeStream(b *testing.B) {
	c := helloContainer()
	s := &fakeStream{head: api.RequestHead{Method: "GET", Target: "/hello", Path: "/hello", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}}
	b.ReportAllocs()
	for b.Loop() {
		c.ServeStream(s)
	}
}
