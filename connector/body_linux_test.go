package connector_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A goroutine of a handler may keep the request's body past the response
// and ask NotifyReadable while the connection reads its next requests into
// the same buffer: the body is settled, so it is called back at once, and
// nothing it reads races with the selector (under -race).
func TestNotifyReadableAfterResponse(t *testing.T) {
	bodies := make(chan api.NonBlockingReader, 1)
	c := container.New(container.WithConnector(connector.Config{}), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/keep", func(w api.Response, r *api.Request) error {
		nb, ok := r.Body().(api.NonBlockingReader)
		if !ok {
			t.Error("the body is no api.NonBlockingReader")
		}
		bodies <- nb
		_, err := w.WriteString("kept")
		return err
	})
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	addr := wharftest.Listen(t, c)
	nc := wharftest.Dial(t, addr, 0)
	br := bufio.NewReader(nc)
	if _, err := nc.Write([]byte("GET /keep HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /keep: %v, %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	nb := <-bodies

	const asks = 200
	var called atomic.Int32
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range asks {
			nb.NotifyReadable(func() { called.Add(1) })
		}
	}()
	for range 50 {
		if err := getHello(nc, br); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for deadline := time.Now().Add(5 * time.Second); called.Load() < asks && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := called.Load(); n != asks {
		t.Errorf("%d of %d NotifyReadable calls on a settled body were called back", n, asks)
	}
	if _, err := nb.TryRead(make([]byte, 8)); err == nil {
		t.Error("TryRead on a settled body: no error")
	}
}

// A handler that reads its body without blocking (NotifyReadable, as
// async.Input and formdata.ParseAsync do) invites a client that sent
// "Expect: 100-continue": such a client sends nothing until the 100, so a
// NotifyReadable that only waited for bytes waited for the client's own
// timeout (curl's second), or for ever.
func TestNotifyReadableSendsContinue(t *testing.T) {
	c := container.New(container.WithConnector(connector.Config{}), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("POST /nb", func(w api.Response, r *api.Request) error {
		nb, ok := r.Body().(api.NonBlockingReader)
		if !ok {
			return api.Error(http.StatusInternalServerError, "the body is no api.NonBlockingReader")
		}
		ready := make(chan struct{})
		nb.NotifyReadable(func() { close(ready) })
		select {
		case <-ready:
		case <-time.After(2 * time.Second):
			return api.Error(http.StatusRequestTimeout, "NotifyReadable never called back")
		}
		b := make([]byte, 16)
		n, err := nb.TryRead(b)
		if err != nil && n == 0 {
			return err
		}
		_, err = w.Write(b[:n])
		return err
	})
	addr := wharftest.Listen(t, c)
	for _, framing := range []string{"Content-Length: 4", "Transfer-Encoding: chunked"} {
		nc := wharftest.Dial(t, addr, 5*time.Second)
		io.WriteString(nc, "POST /nb HTTP/1.1\r\nHost: x\r\n"+framing+"\r\nExpect: 100-continue\r\n\r\n")
		br := bufio.NewReader(nc)
		line, err := br.ReadString('\n')
		if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
			t.Fatalf("%s: first line %q, %v; want the 100 Continue", framing, line, err)
		}
		br.ReadString('\n')
		if framing == "Content-Length: 4" {
			io.WriteString(nc, "ping")
		} else {
			io.WriteString(nc, "4\r\nping\r\n0\r\n\r\n")
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != "ping" {
			t.Fatalf("%s: %d %q", framing, resp.StatusCode, b)
		}
	}
}

// NotifyReadable calls back at once only when a read would not wait, and
// bytes in the read buffer do not say so for a chunked body: part of a
// chunk-size line, of the CRLF after a chunk's data or of the trailer
// section decodes to nothing until the rest comes. Called back at once, a
// read listener (async.Input: TryRead finds nothing, so it asks again)
// would spin on a CPU for as long as the client holds the rest back.
func TestNotifyReadableChunkFraming(t *testing.T) {
	tests := []struct{ name, first, rest, want string }{
		{"part of a chunk-size line", "3\r\nabc\r\n1", "\r\nd\r\n0\r\n\r\n", "abcd"},
		{"part of the CRLF after data", "3\r\nabc\r", "\n0\r\n\r\n", "abc"},
		{"part of a trailer field", "3\r\nabc\r\n0\r\nX-T: 1", "\r\n\r\n", "abc"},
		{"part of the trailer section's end", "3\r\nabc\r\n0\r\n\r", "\n", "abc"},
	}
	early := make(chan bool, 1)
	c := container.New(container.WithConnector(connector.Config{}), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("POST /nb", func(w api.Response, r *api.Request) error {
		nb, ok := r.Body().(api.NonBlockingReader)
		if !ok {
			return api.Error(http.StatusInternalServerError, "the body is no api.NonBlockingReader")
		}
		var got []byte
		if err := tryRead(nb, &got, func() bool { return len(got) >= 3 }); err != nil {
			return err
		}
		// The client sent the rest of first with the head, and holds back
		// rest until told: what is buffered is framing cut short.
		if n, err := nb.TryRead(make([]byte, 64)); !errors.Is(err, api.ErrWouldBlock) {
			return api.Error(http.StatusInternalServerError, fmt.Sprintf("TryRead after abc: %d, %v", n, err))
		}
		called := make(chan struct{}, 1)
		nb.NotifyReadable(func() { called <- struct{}{} })
		select {
		case <-called:
			early <- true
		default:
			early <- false
			<-called
		}
		if err := tryRead(nb, &got, func() bool { return false }); err != nil {
			return err
		}
		_, err := w.Write(got)
		return err
	})
	addr := wharftest.Listen(t, c)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc := wharftest.Dial(t, addr, 5*time.Second)
			io.WriteString(nc, "POST /nb HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"+tt.first)
			if <-early {
				t.Errorf("NotifyReadable called back at once with %q of framing buffered", tt.first[len("3\r\nabc"):])
			}
			io.WriteString(nc, tt.rest)
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(b) != tt.want {
				t.Errorf("%d %q, want 200 %q", resp.StatusCode, b, tt.want)
			}
		})
	}
}

// A client that leaves before its body's declared length is in fails a
// read that does not wait (TryRead) as it fails a blocking one: with a
// 400 wrapping io.ErrUnexpectedEOF, never with io.EOF, which would hand a
// read listener (async.Input: OnAllDataRead) the truncated body as whole.
func TestTryReadBodyCutShort(t *testing.T) {
	c := container.New(container.WithConnector(connector.Config{}), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("POST /nb", func(w api.Response, r *api.Request) error {
		nb, ok := r.Body().(api.NonBlockingReader)
		if !ok {
			return api.Error(http.StatusInternalServerError, "the body is no api.NonBlockingReader")
		}
		var got []byte
		err := tryRead(nb, &got, func() bool { return false })
		if err == nil {
			_, err := fmt.Fprintf(w, "whole body %q", got)
			return err
		}
		if api.StatusOf(err) != http.StatusBadRequest || !errors.Is(err, io.ErrUnexpectedEOF) {
			return api.Error(http.StatusInternalServerError, fmt.Sprintf("TryRead: %v (status %d)", err, api.StatusOf(err)))
		}
		return err
	})
	addr := wharftest.Listen(t, c)
	for _, tt := range []struct{ name, head, sent string }{
		{"Content-Length", "Content-Length: 10", "abc"},
		{"chunked", "Transfer-Encoding: chunked", "a\r\nabc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nc := wharftest.Dial(t, addr, 5*time.Second)
			io.WriteString(nc, "POST /nb HTTP/1.1\r\nHost: x\r\n"+tt.head+"\r\n\r\n"+tt.sent)
			nc.(*net.TCPConn).CloseWrite() // the body ends short; the answer can still be read
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%d %q, want 400", resp.StatusCode, b)
			}
		})
	}
}

// tryRead reads nb as a read listener does (async.Input): TryRead, and
// NotifyReadable when it would block, appending to got until until
// reports true or the body ends (nil) or fails.
func tryRead(nb api.NonBlockingReader, got *[]byte, until func() bool) error {
	buf := make([]byte, 64)
	for !until() {
		n, err := nb.TryRead(buf)
		*got = append(*got, buf[:n]...)
		switch {
		case errors.Is(err, api.ErrWouldBlock):
			ready := make(chan struct{})
			nb.NotifyReadable(func() { close(ready) })
			<-ready
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
	}
	return nil
}
