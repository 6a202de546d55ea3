package container_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Under a net/http server (httptest, and HTTP/3, which reaches the
// container through ServeHTTP), the client of a suspended request that
// goes away is heard through the request's context, as net/http tells a
// handler: the request fails with connector.ErrClientGone (OnError, then
// OnComplete) and its goroutine is free, where it waited out its whole
// timeout and then answered nobody.
func TestServeHTTPClientGoneWhileSuspended(t *testing.T) {
	c := container.New()
	suspended := make(chan struct{})
	onError := make(chan error, 1)
	completed := make(chan error, 1)
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if !cont.IsInitial() {
			return errors.New("re-dispatched: the client left before")
		}
		cont.SetTimeout(20 * time.Second)
		cont.AddListener(continuation.Listener{
			OnError:    func(_ api.Response, _ *api.Request, err error) { onError <- err },
			OnComplete: func(_ *api.Request, err error) { completed <- err },
		})
		return cont.SuspendThen(func(continuation.Continuation) { close(suspended) })
	})
	srv := httptest.NewServer(c)
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/poll", nil)
	go func() {
		<-suspended
		time.Sleep(50 * time.Millisecond) // ServeHTTP waits for the request
		cancel()
	}()
	if _, err := srv.Client().Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("GET: %v, want the client's cancellation", err)
	}
	select {
	case err := <-onError:
		if !errors.Is(err, connector.ErrClientGone) {
			t.Errorf("OnError got %v, want connector.ErrClientGone", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnError not called 5s after the client left: the request waits for its timeout")
	}
	if err := <-completed; !errors.Is(err, connector.ErrClientGone) {
		t.Errorf("OnComplete got %v, want connector.ErrClientGone", err)
	}
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	if err := c.Shutdown(shutdown); err != nil {
		t.Error(err)
	}
}

// ctxKey is a context key of the test's net/http middleware.
type ctxKey struct{}

// Behind a net/http server, what middleware around the container put in
// the request's context (a span, an authenticated user) reaches the
// handler through its Request's context, and in every dispatch.
func TestServeHTTPContextValues(t *testing.T) {
	c := container.New()
	c.HandleFunc("/user", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			if r.Context().Value(ctxKey{}) != "ann" {
				return errors.New("the middleware's value is missing in the first dispatch")
			}
			cont.SetTimeout(time.Minute)
			return cont.SuspendThen(func(cont continuation.Continuation) { cont.Resume() })
		}
		user, _ := r.Context().Value(ctxKey{}).(string)
		_, err := w.WriteString("user " + user)
		return err
	})
	middleware := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, "ann")))
	})
	srv := httptest.NewServer(middleware)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/user")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "user ann" {
		t.Errorf("%d %q, want 200 \"user ann\"", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Error(err)
	}
}

// A deadline that middleware around the container put on the request's
// context (a net/http timeout) is not the client leaving: a request
// suspended when it passes is answered 503, as http.TimeoutHandler
// answers, and a handler that runs answers as it will, where both were
// aborted as if their client were gone and the client, still waiting,
// read EOF.
func TestServeHTTPDeadlineIsNotClientGone(t *testing.T) {
	c := container.New()
	defer c.Shutdown(context.Background())
	suspended := make(chan struct{}, 1)
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			cont.SetTimeout(time.Hour)
			err := cont.Suspend()
			suspended <- struct{}{}
			return err
		}
		_, err := w.WriteString("not this")
		return err
	})
	c.HandleFunc("/work", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("answered")
		return err
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/poll" {
			// A deadline that passes once the request is suspended.
			ctx := &passedDeadline{Context: r.Context(), done: make(chan struct{})}
			go func() {
				<-suspended
				close(ctx.done)
			}()
			c.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		ctx, cancel := context.WithDeadline(r.Context(), time.Now()) // passed already
		defer cancel()
		c.ServeHTTP(w, r.WithContext(ctx))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		path string
		code int
		body string
	}{
		{"/poll", 503, "503 Service Unavailable"},
		{"/work", 200, "answered"},
	} {
		resp, err := srv.Client().Get(srv.URL + tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.code || !strings.HasPrefix(string(b), tc.body) {
			t.Errorf("%s: %d %q (%v), want %d %q", tc.path, resp.StatusCode, b, err, tc.code, tc.body)
		}
	}
}

// passedDeadline is a context whose deadline passes when done is closed.
type passedDeadline struct {
	context.Context
	done chan struct{}
}

func (c *passedDeadline) Done() <-chan struct{} { return c.done }

func (c *passedDeadline) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// statusRecorder is net/http middleware's usual ResponseWriter wrapper: it
// embeds the writer, so it has no Flush (and no Unwrap for
// http.ResponseController to look through).
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Behind net/http middleware whose ResponseWriter cannot flush
// (http.TimeoutHandler's, a wrapper such as statusRecorder), a Flush
// sends nothing early, as a net/http handler's flush is skipped there,
// and the response goes on: the handler's Flush returns nil and the
// client gets the whole body. Flush returned http.ErrNotSupported, which
// failed the request (a 500 logged) and aborted its connection.
func TestServeHTTPFlushWithoutFlusher(t *testing.T) {
	c := container.New()
	defer c.Shutdown(context.Background())
	flushed := make(chan error, 1)
	c.HandleFunc("/stream", func(w api.Response, r *api.Request) error {
		if _, err := w.WriteString("first,"); err != nil {
			return err
		}
		err := w.Flush()
		flushed <- err
		if err != nil {
			return err
		}
		_, err = w.WriteString("second")
		return err
	})
	for _, tc := range []struct {
		name string
		wrap func(http.Handler) http.Handler
	}{
		{"TimeoutHandler", func(h http.Handler) http.Handler { return http.TimeoutHandler(h, time.Hour, "late") }},
		{"wrapper without Flush", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(&statusRecorder{ResponseWriter: w}, r)
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.wrap(c))
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL + "/stream")
			if ferr := <-flushed; ferr != nil {
				t.Errorf("Flush returned %v, want nil", ferr)
			}
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || string(b) != "first,second" {
				t.Errorf("got %d %q (%v), want 200 %q", resp.StatusCode, b, err, "first,second")
			}
		})
	}
}

// Close under a net/http server (httptest, and HTTP/3, which reaches the
// container through ServeHTTP) cuts a live request's answer off, as it
// does on Wharf's connectors, whose Close closes the connection under
// it: the client sees a failed response, where it got a 200 with an
// empty body (or a streamed body ended cleanly), the response Close
// finished as it stood, which looks like a complete answer.
func TestServeHTTPCloseCutsAnswersOff(t *testing.T) {
	tests := []struct {
		name  string
		flush bool // the head and part of the body went out before the request suspended
	}{
		{"suspended before answering", false},
		{"suspended after a flush", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := container.New()
			suspended := make(chan struct{})
			c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
				cont := continuation.Of(r)
				if !cont.IsInitial() {
					_, err := w.WriteString("re-dispatched")
					return err
				}
				if tt.flush {
					w.WriteString("part")
					if err := w.Flush(); err != nil {
						return err
					}
				}
				cont.SetTimeout(time.Hour)
				return cont.SuspendThen(func(continuation.Continuation) { close(suspended) })
			})
			srv := httptest.NewServer(c)
			defer srv.Close()

			got := make(chan error, 1)
			go func() {
				resp, err := srv.Client().Get(srv.URL + "/poll")
				if err != nil {
					got <- err
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err == nil {
					err = fmt.Errorf("a complete response: %d %q", resp.StatusCode, b)
					got <- err
					return
				}
				got <- nil // cut off in the body
			}()
			<-suspended
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			err := <-got
			if err != nil && strings.Contains(err.Error(), "a complete response") {
				t.Fatalf("after Close the client got %v, want the answer cut off", err)
			}
		})
	}
}

// Under a net/http server, a body the client cut short (a Content-Length
// it did not send, a chunked body without its last chunk) is a 400, as
// Wharf's connectors answer it, for a handler that returns the read's
// error as it is (formdata's Parse and Request.Form do), and one over
// http.MaxBytesHandler's limit a 413 (api.StatusOf). net/http's bare
// io.ErrUnexpectedEOF was a 500, logged as a failure of the server's for
// every upload a client abandoned.
func TestServeHTTPBodyErrorsAreTheClients(t *testing.T) {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.HandleFunc("POST /read", func(w api.Response, r *api.Request) error {
		if _, err := io.ReadAll(r.Body()); err != nil {
			return fmt.Errorf("reading the body: %w", err)
		}
		_, err := w.WriteString("read")
		return err
	})
	c.HandleFunc("POST /form", func(w api.Response, r *api.Request) error {
		if _, err := r.PostForm(); err != nil {
			return err
		}
		_, err := w.WriteString("read")
		return err
	})
	srv := httptest.NewServer(http.MaxBytesHandler(c, 10))
	defer srv.Close()
	for _, tc := range []struct {
		name, raw string
		code      int
	}{
		{"Content-Length cut short", "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\nabcd", 400},
		{"chunked without its last chunk", "POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n", 400},
		{"form cut short", "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 8\r\n\r\na=bc", 400},
		{"over MaxBytesHandler", "POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nc\r\nabcdefghijkl\r\n0\r\n\r\n", 413},
		{"whole", "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(nc, tc.raw)
			if tc.code != http.StatusOK {
				nc.(*net.TCPConn).CloseWrite() // the client goes: no more of the body
			}
			// Not after a whole body: net/http's server takes a half
			// close once the body is read for a client gone, and
			// cancels the request, which then races the answer.
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Errorf("%d %q, want %d", resp.StatusCode, b, tc.code)
			}
		})
	}
}

// Under a net/http server, the other ways its HTTP/2 server and a reset
// connection report a body cut short are the client's too, as on Wharf's
// connectors: an HTTP/2 stream that ends before its Content-Length (a
// 400), a stream whose body stops until the server's ReadTimeout (a
// 408), an HTTP/1.1 connection reset mid-body (a 400, of which the
// client hears nothing; its error does not name the server's address).
// They were passed on bare: a 500, logged as a failure of the server's.
func TestServeHTTPBodyCutOverH2AndReset(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	defer c.Shutdown(context.Background())
	reading := make(chan struct{})
	errs := make(chan error, 1)
	c.HandleFunc("POST /read", func(w api.Response, r *api.Request) error {
		if r.QueryValue("reset") != "" {
			close(reading)
		}
		_, err := io.ReadAll(r.Body())
		errs <- err
		if err != nil {
			return fmt.Errorf("reading the body: %w", err)
		}
		_, err = w.WriteString("read")
		return err
	})
	// Each row runs twice: the second time with the server's body under
	// http.MaxBytesReader (http.MaxBytesHandler), whose errors are the
	// body's it wraps.
	var limited atomic.Bool
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if limited.Load() {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		}
		c.ServeHTTP(w, r)
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Config.ReadTimeout = time.Second
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	// h2 sends a POST that declares 8 bytes and sends 4, the stream ended
	// or not, and returns the status of its answer.
	h2 := func(t *testing.T, end bool) int {
		nc := wharftest.Dial(t, addr, 2*wharftest.Patience)
		io.WriteString(nc, xhttp2.ClientPreface)
		fr := xhttp2.NewFramer(nc, nc)
		fr.WriteSettings()
		var block bytes.Buffer
		enc := hpack.NewEncoder(&block)
		for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/read"}, {"content-length", "8"}} {
			enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndHeaders: true})
		fr.WriteData(1, end, []byte("abcd"))
		dec := hpack.NewDecoder(4096, nil)
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if hf, ok := f.(*xhttp2.HeadersFrame); ok && hf.StreamID == 1 {
				fields, err := dec.DecodeFull(hf.HeaderBlockFragment())
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fields {
					if f.Name == ":status" {
						code, _ := strconv.Atoi(f.Value)
						return code
					}
				}
			}
		}
	}
	tests := []struct {
		name string
		send func(t *testing.T) int // the status the client got, 0 for none
		code int
	}{
		{"HTTP/2 stream ended short of its Content-Length", func(t *testing.T) int { return h2(t, true) }, 400},
		{"HTTP/2 body stalled past ReadTimeout", func(t *testing.T) int { return h2(t, false) }, 408},
		{"HTTP/1.1 connection reset mid-body", func(t *testing.T) int {
			nc := wharftest.Dial(t, addr, 2*wharftest.Patience)
			io.WriteString(nc, "POST /read?reset=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\nabcd")
			<-reading // the head was read: the reset cuts the body
			nc.(*net.TCPConn).SetLinger(0)
			nc.Close()
			return 0
		}, 400},
	}
	for _, limit := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name
			if limit {
				name += " under MaxBytesReader"
			}
			t.Run(name, func(t *testing.T) {
				limited.Store(limit)
				// No handler runs now (its error was received): the next
				// one closes a new channel.
				reading = make(chan struct{})
				if got := tt.send(t); got != 0 && got != tt.code {
					t.Errorf("answered %d, want %d", got, tt.code)
				}
				var err error
				select {
				case err = <-errs:
				case <-time.After(wharftest.Patience):
					t.Fatal("the handler's read did not end")
				}
				if code := api.StatusOf(err); code != tt.code {
					t.Errorf("the read failed with %v, answered %d; want %d", err, code, tt.code)
				}
				if err != nil && strings.Contains(err.Error(), addr) {
					t.Errorf("the read's error names the server's address: %v", err)
				}
			})
		}
	}
}

// failingBody is a middleware's body that fails with err.
type failingBody struct{ err error }

func (b failingBody) Read([]byte) (int, error) { return 0, b.err }
func (b failingBody) Close() error             { return nil }

// Under a net/http server, a body a middleware in front of the container
// put in the server's place (a spool on disk, a reader under a context)
// fails the read with its own error, which may be the server's failure:
// a 500 whose text the client does not see, not a 400 showing it (the
// spool's path) as a body the client cut short. An error with a status
// of its own keeps it.
func TestServeHTTPMiddlewareBodyErrorsStay(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	defer c.Shutdown(context.Background())
	c.HandleFunc("POST /read", func(w api.Response, r *api.Request) error {
		if _, err := io.ReadAll(r.Body()); err != nil {
			return fmt.Errorf("reading the body: %w", err)
		}
		_, err := w.WriteString("read")
		return err
	})
	const spool = "/var/spool/upload-1"
	tests := []struct {
		name  string
		err   error
		code  int
		limit bool // the middleware's body under http.MaxBytesReader, a type of package net/http
	}{
		{"spool fails", &os.PathError{Op: "read", Path: spool, Err: syscall.EIO}, 500, false},
		{"context deadline", context.DeadlineExceeded, 500, false},
		{"context canceled", context.Canceled, 500, false},
		{"a status of its own", &api.StatusError{Code: 413, Err: api.ErrBodyTooLarge}, 413, false},
		{"spool fails under MaxBytesReader", &os.PathError{Op: "read", Path: spool, Err: syscall.EIO}, 500, true},
		{"deadline under MaxBytesReader", &os.PathError{Op: "read", Path: spool, Err: os.ErrDeadlineExceeded}, 500, true},
		{"canceled under MaxBytesReader", context.Canceled, 500, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Body = failingBody{tt.err}
				if tt.limit {
					r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
				}
				c.ServeHTTP(w, r)
			}))
			defer srv.Close()
			resp, err := http.Post(srv.URL+"/read", "text/plain", strings.NewReader("abcd"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code || strings.Contains(string(b), spool) {
				t.Errorf("%d %q, want %d without %s", resp.StatusCode, b, tt.code, spool)
			}
		})
	}
}

// ServeHTTP called directly, with a ResponseRecorder, as a net/http
// handler's unit test calls it: a request whose context is canceled
// while it waits (the client gone) ends with the panic its doc names,
// http.ErrAbortHandler, on the caller's goroutine, and the request's
// OnComplete listener sees connector.ErrClientGone.
func TestServeHTTPRecorderClientGoneAborts(t *testing.T) {
	c := container.New()
	defer c.Close()
	suspended := make(chan struct{})
	completed := make(chan error, 1)
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		cont.SetTimeout(time.Hour)
		cont.AddListener(continuation.Listener{
			OnComplete: func(_ *api.Request, err error) { completed <- err },
		})
		return cont.SuspendThen(func(continuation.Continuation) { close(suspended) })
	})
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", "/poll", nil).WithContext(ctx)
	go func() {
		<-suspended
		cancel()
	}()
	p := func() (p any) {
		defer func() { p = recover() }()
		c.ServeHTTP(httptest.NewRecorder(), req)
		return nil
	}()
	if p != http.ErrAbortHandler {
		t.Errorf("ServeHTTP panicked with %v, want http.ErrAbortHandler", p)
	}
	if err := <-completed; !errors.Is(err, connector.ErrClientGone) {
		t.Errorf("OnComplete got %v, want connector.ErrClientGone", err)
	}
}
