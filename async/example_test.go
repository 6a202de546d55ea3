package async_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
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
		a.SetTimeout(50 * time.Millisecond)
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
