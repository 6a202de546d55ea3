//go:build !windows

package soak_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gws "github.com/gorilla/websocket"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/internal/wharftest"
)

// action is one thing a client does; what it reports is only counted.
type action struct {
	name string
	do   func(s *server, r *rand.Rand) error
}

// get reads path through c and discards the body.
func get(ctx context.Context, c *http.Client, u string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// multipartBody is a form with one file of n bytes.
func multipartBody(n int) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("title", "soak")
	fw, _ := mw.CreateFormFile("file", "f.bin")
	fw.Write(bytes.Repeat([]byte("x"), n))
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// rawHead is a request head for path on a connection the client then
// leaves.
func rawHead(method, path string, extra ...string) string {
	return method + " " + path + " HTTP/1.1\r\nHost: soak\r\n" + strings.Join(extra, "") + "\r\n"
}

var actions = []action{
	{"get", func(s *server, r *rand.Rand) error {
		paths := []string{"/hello", "/block", "/static/file.txt", "/big", "/poll"}
		return get(context.Background(), s.clientOf(r), s.url(paths[r.IntN(len(paths))]))
	}},
	{"say", func(s *server, r *rand.Rand) error {
		return get(context.Background(), s.clientOf(r), s.url("/say"))
	}},
	{"upload", func(s *server, r *rand.Rand) error {
		ct, body := multipartBody(r.IntN(200 << 10))
		resp, err := s.clientOf(r).Post(s.url("/upload"), ct, bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}},
	{"upload cancelled", func(s *server, r *rand.Rand) error {
		ct, body := multipartBody(200 << 10)
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		go func() {
			pw.Write(body[:len(body)/2])
			cancel()
			pw.CloseWithError(context.Canceled)
		}()
		req, _ := http.NewRequestWithContext(ctx, "POST", s.url("/upload"), pr)
		req.Header.Set("Content-Type", ct)
		req.ContentLength = int64(len(body))
		resp, err := s.clientOf(r).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}},
	{"poll cancelled", func(s *server, r *rand.Rand) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.IntN(200))*time.Millisecond)
		defer cancel()
		return get(ctx, s.clientOf(r), s.url("/poll"))
	}},
	{"big cancelled", func(s *server, r *rand.Rand) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", s.url("/big"), nil)
		resp, err := s.clientOf(r).Do(req)
		if err != nil {
			return err
		}
		io.CopyN(io.Discard, resp.Body, int64(r.IntN(64<<10)))
		cancel() // HTTP/2: the stream is reset
		resp.Body.Close()
		return nil
	}},
	{"sse", func(s *server, r *rand.Rand) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(50+r.IntN(400))*time.Millisecond)
		defer cancel()
		return get(ctx, s.clientOf(r), s.url("/events/t"+strconv.Itoa(r.IntN(3))))
	}},
	{"ws echo", func(s *server, r *rand.Rand) error {
		ws, _, err := s.ws.Dial(strings.Replace(s.url("/ws"), "http", "ws", 1), nil)
		if err != nil {
			return err
		}
		defer ws.Close()
		ws.SetReadDeadline(time.Now().Add(wharftest.Patience))
		for range 1 + r.IntN(5) {
			if err := ws.WriteMessage(gws.TextMessage, []byte("ping")); err != nil {
				return err
			}
			if _, _, err := ws.ReadMessage(); err != nil {
				return err
			}
		}
		switch r.IntN(3) {
		case 0: // a close handshake
			ws.WriteMessage(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""))
			ws.ReadMessage()
		case 1: // gone without a close frame
		case 2: // gone with a reset
			if tc, ok := ws.NetConn().(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
		}
		return nil
	}},
	{"ws vanish mid-frame", func(s *server, r *rand.Rand) error {
		ws, _, err := s.ws.Dial(strings.Replace(s.url("/ws"), "http", "ws", 1), nil)
		if err != nil {
			return err
		}
		// Half of a masked frame header, then gone.
		ws.NetConn().Write([]byte{0x81, 0xfe, 0x01})
		return ws.NetConn().Close()
	}},
	{"close mid-head", func(s *server, r *rand.Rand) error {
		nc, tc, err := s.dial(nil, "http/1.1")
		if err != nil {
			return err
		}
		head := rawHead("GET", "/hello")
		nc.Write([]byte(head[:r.IntN(len(head)-1)+1]))
		if r.IntN(2) == 0 {
			tc.SetLinger(0)
		}
		return nc.Close()
	}},
	{"close mid-body", func(s *server, r *rand.Rand) error {
		nc, tc, err := s.dial(nil, "http/1.1")
		if err != nil {
			return err
		}
		paths := []string{"/upload", "/hello", "/block", "/poll"}
		ct, body := multipartBody(64 << 10)
		io.WriteString(nc, rawHead("POST", paths[r.IntN(len(paths))], "Content-Type: "+ct+"\r\n", "Content-Length: "+strconv.Itoa(len(body))+"\r\n"))
		nc.Write(body[:r.IntN(len(body))])
		if r.IntN(2) == 0 {
			tc.SetLinger(0)
		}
		return nc.Close()
	}},
	{"close mid-response", func(s *server, r *rand.Rand) error {
		nc, tc, err := s.dial(nil, "http/1.1")
		if err != nil {
			return err
		}
		paths := []string{"/big", "/static/big.bin", "/events/t0", "/poll"}
		io.WriteString(nc, rawHead("GET", paths[r.IntN(len(paths))]))
		nc.Read(make([]byte, 1+r.IntN(4096))) // some of the answer, maybe just its head
		if r.IntN(2) == 0 {
			tc.SetLinger(0)
		}
		return nc.Close()
	}},
	{"slow read", func(s *server, r *rand.Rand) error {
		nc, _, err := s.dial(nil, "http/1.1")
		if err != nil {
			return err
		}
		defer nc.Close()
		io.WriteString(nc, rawHead("GET", "/big"))
		buf := make([]byte, 512)
		for range 20 {
			if _, err := nc.Read(buf); err != nil {
				return err
			}
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	}},
	{"stalled reader", func(s *server, r *rand.Rand) error {
		// Reads nothing of a large answer for a while, then leaves.
		nc, _, err := s.dial(wharftest.SmallReceiveBuffer(4096), "http/1.1")
		if err != nil {
			return err
		}
		defer nc.Close()
		paths := []string{"/big", "/static/big.bin"}
		io.WriteString(nc, rawHead("GET", paths[r.IntN(2)]))
		time.Sleep(time.Duration(200+r.IntN(600)) * time.Millisecond)
		return nil
	}},
	{"pipelined then gone", func(s *server, r *rand.Rand) error {
		nc, tc, err := s.dial(nil, "http/1.1")
		if err != nil {
			return err
		}
		io.WriteString(nc, rawHead("GET", "/hello")+rawHead("GET", "/poll")+rawHead("GET", "/big")+rawHead("GET", "/block"))
		time.Sleep(time.Duration(r.IntN(20)) * time.Millisecond)
		if r.IntN(2) == 0 {
			tc.SetLinger(0)
		}
		return nc.Close()
	}},
	{"connection dropped", func(s *server, r *rand.Rand) error {
		// Several requests on one connection (HTTP/2's streams on TLS),
		// and the connection gone under them.
		var mu sync.Mutex
		var conns []*net.TCPConn
		dropped := false
		tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			defer mu.Unlock()
			if dropped { // no retry on a new connection
				nc.Close()
				return nil, net.ErrClosed
			}
			conns = append(conns, nc.(*net.TCPConn))
			return nc, nil
		}}
		if s.tls != nil {
			tr.TLSClientConfig, tr.ForceAttemptHTTP2 = s.tls.Clone(), true
		}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr, Timeout: wharftest.Patience}
		var reqs sync.WaitGroup
		for _, path := range []string{"/poll", "/events/t1", "/big", "/block", "/static/big.bin"} {
			reqs.Go(func() { get(context.Background(), c, s.url(path)) })
		}
		reqs.Go(func() {
			ct, body := multipartBody(256 << 10)
			pr, pw := io.Pipe()
			defer pr.Close() // ends the writer if the request ended first
			go func() { pw.Write(body[:len(body)/3]); pw.Write(body[len(body)/3:]); pw.Close() }()
			req, _ := http.NewRequest("POST", s.url("/upload"), pr)
			req.Header.Set("Content-Type", ct)
			req.ContentLength = int64(len(body))
			if resp, err := c.Do(req); err == nil {
				resp.Body.Close()
			}
		})
		time.Sleep(time.Duration(10+r.IntN(100)) * time.Millisecond)
		linger := r.IntN(2) == 0
		mu.Lock()
		dropped = true
		for _, tc := range conns {
			if linger {
				tc.SetLinger(0)
			}
			tc.Close()
		}
		mu.Unlock()
		reqs.Wait()
		return nil
	}},
	{"ws flood then gone", func(s *server, r *rand.Rand) error {
		// Messages sent and their echoes never read, so that the server
		// waits on a full socket, then the client gone.
		d := *s.ws
		d.NetDial = wharftest.SmallReceiveBuffer(4096).Dial
		ws, _, err := d.Dial(strings.Replace(s.url("/ws"), "http", "ws", 1), nil)
		if err != nil {
			return err
		}
		ws.NetConn().SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		msg := bytes.Repeat([]byte("y"), 32<<10)
		for range 20 {
			if ws.WriteMessage(gws.BinaryMessage, msg) != nil {
				break
			}
		}
		if tc, ok := ws.NetConn().(*net.TCPConn); ok && r.IntN(2) == 0 {
			tc.SetLinger(0)
		}
		return ws.NetConn().Close()
	}},
	{"sse unread then gone", func(s *server, r *rand.Rand) error {
		nc, tc, err := s.dial(wharftest.SmallReceiveBuffer(4096), "http/1.1")
		if err != nil {
			return err
		}
		io.WriteString(nc, rawHead("GET", "/events/t"+strconv.Itoa(r.IntN(3))))
		time.Sleep(time.Duration(100+r.IntN(400)) * time.Millisecond)
		if r.IntN(2) == 0 {
			tc.SetLinger(0)
		}
		return tc.Close()
	}},
	{"expect 100 then gone", func(s *server, r *rand.Rand) error {
		nc, tc, err := s.dial(nil, "http/1.1")
		if err != nil {
			return err
		}
		ct, body := multipartBody(128 << 10)
		io.WriteString(nc, rawHead("POST", "/upload", "Content-Type: "+ct+"\r\n", "Content-Length: "+strconv.Itoa(len(body))+"\r\n", "Expect: 100-continue\r\n"))
		nc.Read(make([]byte, 256)) // the 100
		nc.Write(body[:r.IntN(len(body))])
		if r.IntN(2) == 0 {
			tc.SetLinger(0)
		}
		return nc.Close()
	}},
	{"tls mid-handshake", func(s *server, r *rand.Rand) error {
		nc, err := net.DialTimeout("tcp", s.addr, wharftest.Patience)
		if err != nil {
			return err
		}
		// A ClientHello's record header and part of its body.
		nc.Write([]byte{0x16, 0x03, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0xfc, 0x03, 0x03}[:1+r.IntN(11)])
		if r.IntN(2) == 0 {
			nc.(*net.TCPConn).SetLinger(0)
		}
		return nc.Close()
	}},
	{"http2 frames", func(s *server, r *rand.Rand) error {
		// HTTP/2 spoken by hand: a small window that holds the answers
		// back, streams reset or left, an upload half sent, and the
		// connection ended in one of several ways.
		nc, tc, err := s.dial(nil, "h2")
		if err != nil {
			return err
		}
		defer nc.Close()
		io.WriteString(nc, http2.ClientPreface)
		fr := http2.NewFramer(nc, nc)
		fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(r.IntN(4096))})
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		head := func(id uint32, method, path string, end bool, kv ...string) {
			hb.Reset()
			fields := append([]string{":method", method, ":scheme", s.scheme, ":authority", "soak", ":path", path}, kv...)
			for i := 0; i < len(fields); i += 2 {
				enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
			}
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndStream: end, EndHeaders: true})
		}
		paths := []string{"/big", "/events/t0", "/poll", "/static/big.bin", "/block", "/hello"}
		id := uint32(1)
		for range 1 + r.IntN(6) {
			head(id, "GET", paths[r.IntN(len(paths))], true)
			id += 2
		}
		ct, body := multipartBody(64 << 10)
		up := id
		head(up, "POST", "/upload", false, "content-type", ct, "content-length", strconv.Itoa(len(body)))
		fr.WriteData(up, false, body[:r.IntN(16<<10)])
		nc.SetReadDeadline(time.Now().Add(time.Duration(10+r.IntN(200)) * time.Millisecond))
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				break
			}
			if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
				fr.WriteSettingsAck()
			}
		}
		nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
		for sid := uint32(1); sid <= up; sid += 2 {
			switch r.IntN(3) {
			case 0:
				fr.WriteRSTStream(sid, http2.ErrCodeCancel)
			case 1:
				fr.WriteWindowUpdate(sid, uint32(1+r.IntN(1<<16)))
			}
		}
		switch r.IntN(3) {
		case 0:
			fr.WriteGoAway(0, http2.ErrCodeNo, nil)
		case 1:
			tc.SetLinger(0)
		}
		return nil
	}},
}
