package async_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
)

// The "Out of Time" servlet without its race: the business result and the
// timeout both run as serialized tasks, so exactly one answers.
func Example() {
	c := container.New()
	c.HandleFunc("/answer", func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		a.SetTimeout(5 * time.Second)
		a.AddListener(async.Listener{OnTimeout: func(w api.Response, r *api.Request) {
			w.SetStatus(http.StatusGatewayTimeout)
			io.WriteString(w, "timed out")
			a.Complete()
		}})
		go func() { // business logic on its own goroutine
			answer := 42
			a.Dispatch(func(w api.Response) { // back in the request's serialized executor
				fmt.Fprintf(w, "the answer is %d", answer)
				a.Complete()
			})
		}()
		return nil
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/answer")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(b))
	// Output: 200 the answer is 42
}

// An OnTimeout listener may send the request through the chain again
// (the Servlet API's dispatch from onTimeout), here to answer a long poll
// that waited in vain the way the handler answers any other pass.
func ExampleListener_redispatchOnTimeout() {
	type outcome struct{}
	c := container.New()
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		if why, ok := r.Attribute(outcome{}).(string); ok {
			_, err := io.WriteString(w, why+": poll again")
			return err
		}
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		a.SetTimeout(20 * time.Millisecond) // no event comes
		a.AddListener(async.Listener{OnTimeout: func(w api.Response, r *api.Request) {
			a.Redispatch(api.Attr{Key: outcome{}, Value: "nothing new"})
		}})
		return nil
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/poll")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(b))
	// Output: 200 nothing new: poll again
}

// Executor fits APIs that take a func(func()); Response reaches the
// response from inside the task.
func ExampleContext_Executor() {
	c := container.New()
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		run := a.Executor()
		go run(func() {
			io.WriteString(a.Response(), "written from the executor")
			a.Complete()
		})
		return nil
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output: written from the executor
}

// A publisher fanning one message out to many waiting requests: where a
// request is idle, DispatchNonBlocking runs its task right here, with no
// hand-over to another goroutine per request.
func ExampleContext_DispatchNonBlocking() {
	var mu sync.Mutex
	var waiting []*async.Context
	arrived := make(chan struct{}, 3)
	c := container.New()
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		mu.Lock()
		waiting = append(waiting, a)
		mu.Unlock()
		arrived <- struct{}{}
		return nil
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	bodies := make(chan string, 3)
	for range 3 {
		go func() {
			resp, err := http.Get("http://" + l.Addr().String() + "/wait")
			if err != nil {
				bodies <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			bodies <- string(b)
		}()
	}
	for range 3 {
		<-arrived
	}
	mu.Lock()
	for _, a := range waiting {
		a.DispatchNonBlocking(func(w api.Response) { // never blocks: it writes and completes
			io.WriteString(w, "news")
			a.Complete()
		})
	}
	mu.Unlock()
	for range 3 {
		fmt.Println(<-bodies)
	}
	// Output:
	// news
	// news
	// news
}

// download writes a file through an Output: on the epoll connector it goes
// out with sendfile(2), and a slow client holds no goroutine meanwhile.
type download struct {
	out  *async.Output
	f    *os.File
	size int64
	sent bool
}

func (d *download) OnWritePossible(w api.Response) {
	if d.sent {
		return
	}
	d.sent = true
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.FormatInt(d.size, 10)) // lets sendfile serve it
	d.out.SendFile(d.f, 0, d.size)
	d.out.Complete() // once the file has gone out
}

func (d *download) OnError(w api.Response, err error) {} // the request ends with err

// A file served from a serialized task without blocking: SendFile queues
// it, the Output writes it as the client takes it, and the OnComplete
// hook closes it however the request ends.
func ExampleOutput_SendFile() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "hello.txt")
	os.WriteFile(path, []byte("hello, file"), 0o600)

	c := container.New()
	c.HandleFunc("/file", func(w api.Response, r *api.Request) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		a, err := async.Start(r)
		if err != nil {
			f.Close()
			return err
		}
		async.OnComplete(r, func(error) { f.Close() })
		a.SetTimeout(-1) // as long as the client takes; its data rate is bounded
		d := &download{f: f, size: info.Size()}
		d.out, err = a.SetWriteListener(d)
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/file")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.ContentLength, string(b))
	// Output: 200 11 hello, file
}

type admittedKey struct{}

// A filter that makes a request wait on its way in and lets it go on
// itself (as filters/qos does when a place frees up) hands the chain
// inside the dispatch it interrupted: a long poll's first pass stays its
// initial dispatch, on which it suspends, however long it waited.
func ExampleWithKind() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
		if r.Attribute(admittedKey{}) != nil { // this filter's own Resume
			return next.Next(w, async.WithKind(r, async.DispatchInitial))
		}
		if !continuation.Of(r).IsInitial() {
			return next.Next(w, r) // the handler's own resume or timeout
		}
		cont := continuation.Of(r)
		if err := cont.Suspend(); err != nil {
			return err
		}
		go cont.Resume(api.Attr{Key: admittedKey{}, Value: true}) // a place is free
		return nil
	})
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "initial dispatch: %v", continuation.Of(r).IsInitial())
		return err
	})

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/poll", nil))
	fmt.Println(rec.Body)
	// Output: initial dispatch: true
}

// A filter that logs why a request is being dispatched prints its kind.
func ExampleDispatchKind() {
	for _, k := range []async.DispatchKind{async.DispatchInitial, async.DispatchResumed, async.DispatchExpired} {
		fmt.Println(k)
	}
	// Output:
	// initial
	// resumed
	// expired
}

// bodyCounter reads a request body without blocking and answers with its
// length once it has all of it.
type bodyCounter struct {
	a  *async.Context
	in *async.Input
	n  int
}

func (b *bodyCounter) OnDataAvailable(w api.Response) {
	buf := make([]byte, 4096)
	for {
		n, err := b.in.Read(buf)
		b.n += n
		if err != nil { // api.ErrWouldBlock: called again when more comes; io.EOF: OnAllDataRead follows
			return
		}
	}
}

func (b *bodyCounter) OnAllDataRead(w api.Response) {
	fmt.Fprintf(w, "read %d bytes", b.n)
	b.a.Complete()
}

func (b *bodyCounter) OnError(w api.Response, err error) { b.a.Fail(err) }

// A body read without blocking: the listener's callbacks run as the
// request's serialized tasks when bytes arrive, and on the epoll connector
// no goroutine waits for them.
func ExampleContext_SetReadListener() {
	c := container.New()
	c.HandleFunc("POST /upload", func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		b := &bodyCounter{a: a}
		// The first callback runs once this handler has returned, so b.in
		// is set by then.
		b.in, err = a.SetReadListener(b)
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Post("http://"+l.Addr().String()+"/upload", "application/octet-stream", strings.NewReader(strings.Repeat("x", 100000)))
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output: read 100000 bytes
}

// OnComplete releases what a request holds however it ends, here a
// blocking handler's scratch file: the function runs once the response is
// finished, with the error the request completed with.
func ExampleOnComplete() {
	released := make(chan error, 1)
	c := container.New()
	c.HandleFunc("/report", func(w api.Response, r *api.Request) error {
		f, err := os.CreateTemp("", "report")
		if err != nil {
			return err
		}
		if err := async.OnComplete(r, func(err error) {
			f.Close()
			os.Remove(f.Name())
			released <- err
		}); err != nil {
			f.Close()
			os.Remove(f.Name())
			return err
		}
		_, err = io.WriteString(w, "report written")
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/report")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	fmt.Println("released, completed with", <-released)
	// Output:
	// report written
	// released, completed with <nil>
}

// A filter that records what each request sent reads its Result once it
// completed: the status of the head that went out, which is not always
// the one the dispatch left set (here the timeout's answer, written after
// the handler returned), the body bytes and what decided the outcome.
func ExampleResultOf() {
	results := make(chan string, 2)
	c := container.New()
	defer c.Shutdown(context.Background())
	c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
		async.OnComplete(r, func(err error) {
			res, _ := async.ResultOf(r)
			results <- fmt.Sprintf("%s: %d, %d bytes, %s", r.Path(), res.Status, res.Bytes, res.End)
		})
		return next.Next(w, r)
	})
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "hello")
		return err
	})
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		a.SetTimeout(10 * time.Millisecond) // and no task answers
		a.AddListener(async.Listener{OnTimeout: func(w api.Response, r *api.Request) {
			w.SetStatus(http.StatusGatewayTimeout)
			io.WriteString(w, "too slow")
			a.Complete()
		}})
		return nil
	})

	for _, path := range []string{"/hello", "/slow"} {
		c.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		fmt.Println(<-results)
	}
	// Output:
	// /hello: 200, 5 bytes, answered
	// /slow: 504, 8 bytes, expired
}

// errBackend is the failure of a backend call.
var errBackend = errors.New("backend unavailable")

// Fail ends an async request with the error its work failed with, from any
// goroutine: what the request wrote so far is dropped, and the container
// answers the error as it answers a handler's.
func ExampleContext_Fail() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.HandleFunc("/quote", func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		io.WriteString(w, "partial quote") // dropped by the failure
		go func() {                        // the backend call fails
			a.Fail(&api.StatusError{Code: http.StatusBadGateway, Err: errBackend})
		}()
		return nil
	})

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/quote", nil))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output: 502 502 Bad Gateway
}

// A filter that must act on a request's first pass only (count it, check
// it) and let its re-dispatches through asks KindOf why it was dispatched.
func ExampleKindOf() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
		fmt.Println("filter sees a pass:", async.KindOf(r))
		return next.Next(w, r)
	})
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		if async.KindOf(r) == async.DispatchInitial {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			go a.Redispatch() // news arrived: run the chain again
			return nil
		}
		_, err := io.WriteString(w, "news")
		return err
	})

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/poll", nil))
	fmt.Println(rec.Body)
	// Output:
	// filter sees a pass: initial
	// filter sees a pass: resumed
	// news
}
