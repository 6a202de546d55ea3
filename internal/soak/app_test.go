//go:build !windows

package soak_test

import (
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/formdata"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/static"
	"github.com/wharf-go/wharf/websocket"
)

// bigBody is the size of /big's answer: more than the socket buffers
// hold, so that a slow reader or one that leaves mid-response finds the
// server writing.
const bigBody = 1 << 20

// app is the server under test and what its handlers hold.
type app struct {
	c       *container.Container
	broker  *sse.Broker
	files   *static.Handler
	upDir   string // formdata's temporary files
	mu      sync.Mutex
	waiters map[*continuation.Continuation]struct{}
	wsOpen  atomic.Int64 // WebSocket connections opened less those closed
	tight   bool
}

// echo is the WebSocket handler: it sends each message back.
type echo struct{ a *app }

func (e echo) OnOpen(*websocket.Conn) { e.a.wsOpen.Add(1) }
func (e echo) OnMessage(c *websocket.Conn, m websocket.Message) {
	c.Send(m)
}
func (e echo) OnClose(*websocket.Conn, error) { e.a.wsOpen.Add(-1) }

// newApp builds a container with the handlers, on the options given.
// tight sets every timeout and limit low, so that they fire among the
// clients' own endings.
func newApp(t *testing.T, staticDir string, tight bool, opts ...container.Option) *app {
	t.Helper()
	a := &app{upDir: t.TempDir(), waiters: map[*continuation.Continuation]struct{}{}, tight: tight}
	opts = append(opts, container.WithLogger(wharftest.DiscardLogger()))
	var wsCfg websocket.Config
	sseCfg := sse.Config{Heartbeat: 200 * time.Millisecond, Logger: wharftest.DiscardLogger()}
	if tight {
		opts = append(opts,
			container.WithConnector(connector.Config{
				ReadHeaderTimeout: 300 * time.Millisecond,
				ReadTimeout:       300 * time.Millisecond,
				WriteTimeout:      300 * time.Millisecond,
				IdleTimeout:       400 * time.Millisecond,
				DiscardTimeout:    200 * time.Millisecond,
				MaxDiscardBytes:   16 << 10,
				MaxConnections:    24,
			}),
			container.WithMaxHandlers(4), container.WithHandlerQueue(8))
		wsCfg = websocket.Config{
			SendQueue:         4,
			PingInterval:      100 * time.Millisecond,
			PongTimeout:       100 * time.Millisecond,
			IdleTimeout:       300 * time.Millisecond,
			WriteTimeout:      200 * time.Millisecond,
			CloseTimeout:      100 * time.Millisecond,
			EnableCompression: true,
		}
		sseCfg.MaxQueue = 2
	}
	a.c = container.New(opts...)
	var err error
	if a.broker, err = sse.NewBroker(sseCfg); err != nil {
		t.Fatal(err)
	}
	if a.files, err = static.Dir(staticDir, static.Config{}); err != nil {
		t.Fatal(err)
	}
	a.c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	a.c.HandleFunc("/big", func(w api.Response, r *api.Request) error {
		_, err := w.Write(make([]byte, bigBody))
		return err
	})
	a.c.HandleFunc("/block", func(w api.Response, r *api.Request) error {
		time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond)
		_, err := w.WriteString("blocked")
		return err
	})
	a.c.HandleFunc("/poll", a.poll)
	a.c.HandleFunc("/say", func(w api.Response, r *api.Request) error {
		a.resumeAll()
		return w.SetStatus(http.StatusNoContent)
	})
	a.c.Handle("GET /events/{topic}", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		return a.broker.Serve(w, r, r.PathParam("topic"))
	}))
	a.c.Handle("/ws", websocket.NewHandler(wsCfg, func(*api.Request) (websocket.Handler, error) {
		return echo{a}, nil
	}))
	a.c.HandleFunc("POST /upload", func(w api.Response, r *api.Request) error {
		_, err := formdata.ParseAsync(r, formdata.Limits{MemoryThreshold: -1, TempDir: a.upDir}, func(w api.Response, f *formdata.Form, err error) error {
			if err != nil {
				return err
			}
			n := int64(0)
			if fh := f.File("file"); fh != nil {
				n = fh.Size
			}
			_, err = w.WriteString(strconv.FormatInt(n, 10))
			return err
		})
		return err
	})
	a.c.Handle("/static/*", a.files)
	return a
}

// poll is a long poll: it waits suspended for /say, or up to 300 ms.
func (a *app) poll(w api.Response, r *api.Request) error {
	cont := continuation.Of(r)
	switch {
	case cont.IsInitial():
		cont.SetTimeout(300 * time.Millisecond)
		return cont.SuspendThen(func(c continuation.Continuation) {
			a.mu.Lock()
			a.waiters[&c] = struct{}{}
			a.mu.Unlock()
		})
	case cont.IsExpired():
		_, err := w.WriteString("expired")
		return err
	default:
		_, err := w.WriteString("resumed")
		return err
	}
}

// resumeAll resumes every waiting poll (those that expired meanwhile
// refuse it).
func (a *app) resumeAll() {
	a.mu.Lock()
	ws := a.waiters
	a.waiters = map[*continuation.Continuation]struct{}{}
	a.mu.Unlock()
	for c := range ws {
		c.Resume()
	}
}

// server is an app on a listener, and how clients reach it.
type server struct {
	*app
	addr   string
	scheme string // http or https
	tls    *tls.Config
	h1, h2 *http.Client
	ws     *gws.Dialer
	done   chan struct{}
}

// serve serves a on a fresh port, with TLS when clientTLS, the clients'
// configuration, is not nil.
func serve(t *testing.T, a *app, clientTLS *tls.Config) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{app: a, addr: l.Addr().String(), scheme: "http", tls: clientTLS, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if clientTLS != nil {
			a.c.ServeTLS(l, "", "")
		} else {
			a.c.Serve(l)
		}
	}()
	h1 := &http.Transport{MaxIdleConnsPerHost: 4}
	s.ws = &gws.Dialer{HandshakeTimeout: wharftest.Patience}
	if clientTLS != nil {
		s.scheme = "https"
		h1.TLSClientConfig = clientTLS.Clone()
		h1.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // no HTTP/2
		h2 := &http.Transport{TLSClientConfig: clientTLS.Clone(), ForceAttemptHTTP2: true}
		s.h2 = &http.Client{Transport: h2, Timeout: wharftest.Patience}
		s.ws.TLSClientConfig = clientTLS.Clone()
	}
	s.h1 = &http.Client{Transport: h1, Timeout: wharftest.Patience}
	return s
}

// startServers starts four servers of the handlers: cleartext (with h2c)
// and TLS, each with the defaults and tight.
func startServers(t *testing.T) []*server {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file.txt"), []byte("a static file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), make([]byte, bigBody), 0o644); err != nil {
		t.Fatal(err)
	}
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	pool, err := devcert.Pool(cert)
	if err != nil {
		t.Fatal(err)
	}
	clientTLS := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	var servers []*server
	for _, tight := range []bool{false, true} {
		servers = append(servers,
			serve(t, newApp(t, dir, tight, container.WithH2C()), nil),
			serve(t, newApp(t, dir, tight, container.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}})), clientTLS))
	}
	return servers
}

// String names the server in a failure.
func (s *server) String() string {
	if s.tight {
		return s.scheme + " (tight)"
	}
	return s.scheme
}

// publish publishes an event on one of three topics every 20 ms until
// stop is closed.
func (s *server) publish(stop <-chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-tick.C:
			s.broker.Publish("t"+strconv.Itoa(n%3), sse.Event{Data: strconv.Itoa(n)})
		}
	}
}

// atRest reports whether the server holds nothing of a client any more:
// no request in flight, suspended or queued, no connection or timer, no
// event stream, WebSocket or temporary file of an upload; and if not, what
// it holds.
func (s *server) atRest() (bool, string) {
	st := s.c.Stats()
	streams := s.broker.Stats().Streams
	ups, _ := os.ReadDir(s.upDir)
	ok := st.Active == 0 && st.Suspended == 0 && st.Handlers == 0 && st.Queued == 0 &&
		st.Connections.Open == 0 && st.Connections.Detached == 0 && st.Connections.Timers == 0 &&
		streams == 0 && s.wsOpen.Load() == 0 && len(ups) == 0
	return ok, fmt.Sprintf("active %d, suspended %d, handlers %d, queued %d, connections %+v, streams %d, websockets %d, upload files %d",
		st.Active, st.Suspended, st.Handlers, st.Queued, st.Connections, streams, s.wsOpen.Load(), len(ups))
}

// url is the server's URL of path.
func (s *server) url(path string) string { return s.scheme + "://" + s.addr + path }

// dial opens a raw connection with d (nil: a plain Dialer), TLS's on a
// TLS server with the protocol proto by ALPN, and returns the TCP
// connection under it too, for a reset.
func (s *server) dial(d *net.Dialer, proto string) (net.Conn, *net.TCPConn, error) {
	if d == nil {
		d = &net.Dialer{}
	}
	d.Timeout = wharftest.Patience
	nc, err := d.Dial("tcp", s.addr)
	if err != nil {
		return nil, nil, err
	}
	tc := nc.(*net.TCPConn)
	nc.SetDeadline(time.Now().Add(wharftest.Patience))
	if s.tls == nil {
		return nc, tc, nil
	}
	cfg := s.tls.Clone()
	cfg.NextProtos = []string{proto}
	c := tls.Client(nc, cfg)
	if err := c.Handshake(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	return c, tc, nil
}

// clientOf picks HTTP/1.1 or, on TLS, either.
func (s *server) clientOf(r *rand.Rand) *http.Client {
	if s.h2 != nil && r.IntN(2) == 0 {
		return s.h2
	}
	return s.h1
}

// closeIdle drops the clients' idle connections.
func (s *server) closeIdle() {
	s.h1.CloseIdleConnections()
	if s.h2 != nil {
		s.h2.CloseIdleConnections()
	}
}
