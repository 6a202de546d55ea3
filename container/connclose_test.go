package container_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// connCloseFields are the ways a handler writes "Connection: close": Set's
// key, a map written without Set in another case, and "close" among other
// tokens, in another case.
var connCloseFields = []struct{ key, value string }{
	{"Connection", "close"},
	{"connection", "Close"},
	{"CONNECTION", "keep-alive, CLOSE"},
}

// buildConnClose maps /close/{i}, which answers "bye" with the i-th of
// connCloseFields, and /hello; both say in X-Remote the client's address
// the server saw, which names the connection.
func buildConnClose(c *container.Container) {
	c.HandleFunc("/close/{i}", func(w api.Response, r *api.Request) error {
		f := connCloseFields[r.PathParam("i")[0]-'0']
		w.Header()[f.key] = []string{f.value}
		w.Header().Set("X-Remote", r.RemoteAddr())
		_, err := w.WriteString("bye")
		return err
	})
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		w.Header().Set("X-Remote", r.RemoteAddr())
		_, err := w.WriteString("hello")
		return err
	})
}

// getBody gets url with client and returns the response and its body.
func getBody(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// checkConnClose gets /close/i, which must come whole without a Connection
// field over HTTP/2 and HTTP/3, and, unless keeps, then /hello, which must
// come over another connection than /close's.
func checkConnClose(t *testing.T, client *http.Client, url string, i int, http1, keeps bool) {
	t.Helper()
	f := connCloseFields[i]
	resp, body := getBody(t, client, url+"/close/"+string(rune('0'+i)))
	if resp.StatusCode != http.StatusOK || body != "bye" {
		t.Errorf("%s: %s: %d %q, want 200 \"bye\"", f.key, f.value, resp.StatusCode, body)
	}
	if !http1 && len(resp.Header["Connection"]) > 0 {
		t.Errorf("%s: %s: %s sent Connection: %q", f.key, f.value, resp.Proto, resp.Header["Connection"])
	}
	if keeps {
		return
	}
	closed := resp.Header.Get("X-Remote")
	resp, body = getBody(t, client, url+"/hello")
	if resp.StatusCode != http.StatusOK || body != "hello" {
		t.Errorf("%s: %s: the next request: %d %q, want 200 \"hello\"", f.key, f.value, resp.StatusCode, body)
	}
	if next := resp.Header.Get("X-Remote"); next == closed {
		t.Errorf("%s: %s: the next request went on the same connection (%s, from %s)", f.key, f.value, resp.Proto, next)
	}
}

// A handler's "Connection: close", under a key in any case and among
// other tokens, is heeded on every protocol that can: the response is sent
// whole, without the field over HTTP/2 and HTTP/3 (RFC 9113 §8.2.2, RFC
// 9114 §4.2), and the client's next request goes on a new connection:
// HTTP/1.1 closes it, HTTP/2 sends GOAWAY, as net/http's servers do. On
// HTTP/2 Wharf's connector dropped the field and kept the connection, so
// that a handler had no way to send a client elsewhere (to rebalance,
// after a logout); under net/http's HTTP/1 server a key in another case
// was dropped, the connection kept. HTTP/3 keeps its connection: quic-go's
// server sends GOAWAY only as a whole (see package h3).
func TestConnectionCloseHeeded(t *testing.T) {
	modes.Run(t, buildConnClose, func(t *testing.T, s *modes.Server) {
		for i := range connCloseFields {
			before := s.Container.Stats().Connections.Accepted
			checkConnClose(t, s.Client, s.URL, i, s.Mode.HTTP1(), s.Mode == modes.H3)
			if s.Mode == modes.H3 || s.Mode == modes.NetHTTP {
				continue
			}
			// One for /close (the first row's) or none (it took the
			// connection the row before opened), one for /hello; a client
			// may open one more that it then leaves unused.
			if n, want := s.Container.Stats().Connections.Accepted-before, 2-int64(min(i, 1)); n < want {
				t.Errorf("%s: %s: the server accepted %d connections, want %d at least", connCloseFields[i].key, connCloseFields[i].value, n, want)
			}
		}
	})
}

// Under net/http's HTTP/2 server, which starts its graceful close only for
// a first Connection value of exactly "close", the container passes a
// "close" in any case, under a key in any case, as exactly that: the
// field was dropped under another key's case, and went unheeded as
// "Close" or "keep-alive, close".
func TestConnectionCloseUnderNetHTTP2(t *testing.T) {
	c := container.New()
	buildConnClose(c)
	hs := httptest.NewUnstartedServer(c)
	hs.EnableHTTP2 = true
	var conns atomic.Int32
	hs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	hs.StartTLS()
	t.Cleanup(func() {
		hs.Close()
		c.Close()
	})
	for i := range connCloseFields {
		before := conns.Load()
		checkConnClose(t, hs.Client(), hs.URL, i, false, false)
		if n, want := conns.Load()-before, 2-int32(min(i, 1)); n < want {
			t.Errorf("%s: %s: %d connections, want %d at least", connCloseFields[i].key, connCloseFields[i].value, n, want)
		}
	}
}
