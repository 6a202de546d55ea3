package connector_test

import (
	"bufio"
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
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
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
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
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
