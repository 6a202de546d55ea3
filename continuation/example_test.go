package continuation_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
)

type msgKey struct{}

// A long poll: the handler suspends (no goroutine is held while it waits);
// another request resumes it with the event as an attribute.
func Example() {
	var mu sync.Mutex
	var waiter *continuation.Continuation
	ready := make(chan struct{})

	c := container.New()
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		switch {
		case cont.IsInitial():
			cont.SetTimeout(10 * time.Second)
			// Suspend first, then let /say find it: a Resume before
			// Suspend would be refused.
			if err := cont.Suspend(); err != nil {
				return err
			}
			mu.Lock()
			waiter = &cont
			mu.Unlock()
			close(ready)
			return nil // the goroutine is released here
		case cont.IsExpired():
			_, err := io.WriteString(w, "no news")
			return err
		}
		_, err := fmt.Fprintf(w, "news: %v", r.Attribute(msgKey{}))
		return err
	})
	c.HandleFunc("/say", func(w api.Response, r *api.Request) error {
		mu.Lock()
		defer mu.Unlock()
		return waiter.Resume(api.Attr{Key: msgKey{}, Value: r.QueryValue("m")})
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	base := "http://" + l.Addr().String()

	polled := make(chan string)
	go func() {
		resp, _ := http.Get(base + "/poll")
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		polled <- string(b)
	}()
	<-ready
	resp, _ := http.Get(base + "/say?m=hello")
	resp.Body.Close()
	fmt.Println(<-polled)
	// Output: news: hello
}

// newsRoom keeps the polls that wait for news.
type newsRoom struct {
	mu      sync.Mutex
	waiters []continuation.Continuation
	waited  chan struct{} // for the example: tells it that a poll waits
}

// wait registers a suspended poll; say resumes it.
func (rm *newsRoom) wait(c continuation.Continuation) {
	rm.mu.Lock()
	rm.waiters = append(rm.waiters, c)
	rm.mu.Unlock()
	rm.waited <- struct{}{}
}

// say resumes every waiting poll with msg.
func (rm *newsRoom) say(msg string) {
	rm.mu.Lock()
	waiters := rm.waiters
	rm.waiters = nil
	rm.mu.Unlock()
	for _, c := range waiters {
		// ErrNotSuspended: the timeout won; ErrCompleted: the client left.
		_ = c.Resume(api.Attr{Key: msgKey{}, Value: msg})
	}
}

// SuspendThen suspends the poll and then registers it, in that order: a
// say that finds the poll in the room resumes it, however soon after
// wait it comes.
func ExampleContinuation_SuspendThen() {
	room := &newsRoom{waited: make(chan struct{}, 1)}
	c := container.New()
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			cont.SetTimeout(30 * time.Second)
			return cont.SuspendThen(room.wait)
		}
		if cont.IsExpired() {
			_, err := io.WriteString(w, "no news")
			return err
		}
		_, err := fmt.Fprintf(w, "news: %v", r.Attribute(msgKey{}))
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	polled := make(chan string)
	go func() {
		resp, err := http.Get("http://" + l.Addr().String() + "/poll")
		if err != nil {
			polled <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		polled <- string(b)
	}()
	<-room.waited
	room.say("hello")
	fmt.Println(<-polled)
	// Output: news: hello
}

// Await is the blocking form: the handler waits in place, its goroutine
// held, until a Resume, the timeout or the request's end. Here nothing
// resumes it, and the timeout ends the wait.
func ExampleContinuation_Await() {
	c := container.New()
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		cont.SetTimeout(20 * time.Millisecond)
		ev, _, err := cont.Await(r.Context())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "waited: %v", ev)
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/wait")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output: waited: expired
}

// Complete ends a suspended request as its response stands, with no
// further pass through the chain: here a room that closes ends the polls
// waiting in it with the 204 their handler set before suspending.
func ExampleContinuation_Complete() {
	var mu sync.Mutex
	var waiting []continuation.Continuation
	suspended := make(chan struct{}, 1)

	c := container.New()
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsExpired() {
			// The 204 set below stays on the response, as every field
			// a pass sets does: this pass answers with a body, and
			// says so.
			if err := w.SetStatus(http.StatusOK); err != nil {
				return err
			}
			_, err := io.WriteString(w, "no news")
			return err
		}
		if err := w.SetStatus(http.StatusNoContent); err != nil { // the answer if the room closes
			return err
		}
		return cont.SuspendThen(func(cont continuation.Continuation) {
			mu.Lock()
			waiting = append(waiting, cont)
			mu.Unlock()
			suspended <- struct{}{}
		})
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	polled := make(chan string)
	go func() {
		resp, err := http.Get("http://" + l.Addr().String() + "/poll")
		if err != nil {
			polled <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		polled <- fmt.Sprintf("%d %q", resp.StatusCode, b)
	}()
	<-suspended
	mu.Lock() // the room closes
	for _, cont := range waiting {
		fmt.Println("complete:", cont.Complete())
	}
	mu.Unlock()
	fmt.Println("client:", <-polled)
	// Output:
	// complete: <nil>
	// client: 204 ""
}

// A listener hears how the request ended, whichever way it did: here a
// poll leaves the room it waits in once it completes, answered or expired,
// so that the room never holds a poll that is over.
func ExampleContinuation_AddListener() {
	var mu sync.Mutex
	room := map[continuation.Continuation]bool{}
	left := make(chan error, 1)

	c := container.New()
	defer c.Shutdown(context.Background())
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsExpired() {
			_, err := io.WriteString(w, "no news")
			return err
		}
		cont.SetTimeout(20 * time.Millisecond)
		cont.AddListener(continuation.Listener{OnComplete: func(r *api.Request, err error) {
			mu.Lock()
			delete(room, cont)
			mu.Unlock()
			left <- err
		}})
		return cont.SuspendThen(func(cont continuation.Continuation) {
			mu.Lock()
			room[cont] = true
			mu.Unlock()
		})
	})

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/poll", nil))
	fmt.Println(rec.Code, rec.Body)
	fmt.Println("completed with", <-left) // OnComplete runs once the response is finished
	mu.Lock()
	fmt.Println("polls in the room:", len(room))
	mu.Unlock()
	// Output:
	// 200 no news
	// completed with <nil>
	// polls in the room: 0
}

// A suspended request that stands for work in flight, not for a wait,
// keeps waiting through a graceful Shutdown with async.ShutdownWait: the
// work finishes (here it is told to, when the shutdown starts) and its
// client gets the answer. By default Shutdown would expire it at once.
func ExampleContinuation_SetOnShutdown() {
	type resultKey struct{}
	jobs := make(chan continuation.Continuation, 1)
	registered := make(chan struct{})

	c := container.New()
	c.HandleFunc("POST /jobs", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsResumed() {
			_, err := fmt.Fprint(w, r.Attribute(resultKey{}))
			return err
		}
		cont.SetOnShutdown(async.ShutdownWait)
		return cont.SuspendThen(func(cont continuation.Continuation) {
			jobs <- cont
			close(registered)
		})
	})
	c.RegisterOnShutdown(func() { // the worker finishes what it holds
		cont := <-jobs
		cont.Resume(api.Attr{Key: resultKey{}, Value: "job done"})
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)

	answered := make(chan string)
	go func() {
		resp, err := http.Post("http://"+l.Addr().String()+"/jobs", "text/plain", nil)
		if err != nil {
			answered <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- fmt.Sprintf("%d %s", resp.StatusCode, b)
	}()
	<-registered
	fmt.Println("shutdown:", c.Shutdown(context.Background()))
	fmt.Println(<-answered)
	// Output:
	// shutdown: <nil>
	// 200 job done
}
