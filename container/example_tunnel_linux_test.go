package container_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
)

// A handler that switches its connection to a protocol of its own takes
// it as an api.Tunnel (on the epoll connector's HTTP/1.1, TLS included): the
// socket stays with its selector, and a task runs only when the peer has
// sent something, so a quiet connection holds no goroutine. Here the
// protocol answers every byte in upper case. Where Tunnel says
// api.ErrNotSupported (the portable connector), api.Hijack gives a
// net.Conn instead.
func Example_tunnel() {
	c := container.New()
	c.Handle("/shout", api.HandlerFunc(func(w api.Response, r *api.Request) error {
		tn, ok := api.As[api.Tunneler](w)
		if !ok {
			return api.ErrNotSupported
		}
		t, err := tn.Tunnel()
		if err != nil {
			return err
		}
		t.WriteNow([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n"))
		buf := make([]byte, 512)
		var read func()
		read = func() { // one task at a time: the next is asked for at its end
			for {
				n, err := t.TryRead(buf)
				if n > 0 {
					t.WriteNow(bytes.ToUpper(buf[:n])) // a few bytes: the socket takes them all
				}
				switch {
				case err == api.ErrWouldBlock:
					t.NotifyReadable(func() { t.Execute(read) })
					return
				case err != nil:
					t.Close()
					return
				}
			}
		}
		t.Execute(read)
		return nil
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go c.Serve(l)
	defer c.Close()

	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	fmt.Fprint(nc, "GET /shout HTTP/1.1\r\nHost: x\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status)
	io.WriteString(nc, "hello")
	got := make([]byte, 5)
	io.ReadFull(br, got)
	fmt.Println(string(got))
	// Output:
	// 101 Switching Protocols
	// HELLO
}
