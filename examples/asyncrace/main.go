// Command asyncrace is the Servlet API's "Out of Time" race, done safely
// with Wharf's async contexts.
//
// In a servlet container, a request in async mode can be answered by two
// parties at once: the business logic, finishing on its own thread, and the
// timeout listener, called on a container thread. Both may write the
// response, and unless they synchronize by hand the client can get a mix of
// both, or a response written after the container completed it.
//
// Here, GET /answer?work=W&timeout=T starts async mode with a T ms timeout
// and an OnTimeout listener that answers 504 "timed out after T ms", and
// starts the business logic on a goroutine that works W ms and then hands
// its result to Context.Dispatch, which runs it as a serialized task of the
// request: it answers 200 "the answer is 42". Whichever task runs first
// completes the response; the other never runs (or, for the business
// goroutine, its Dispatch is refused with api.ErrCompleted). The client gets
// exactly one of the two answers, whole, with its own status, however close
// W and T are.
//
// Parameters: work 0..60000 ms (default 50), timeout 1..60000 ms (default
// 100).
//
// Usage:
//
//	go run ./examples/asyncrace -addr 127.0.0.1:8080
//	curl -i 'http://127.0.0.1:8080/answer?work=10&timeout=1000'   # 200
//	curl -i 'http://127.0.0.1:8080/answer?work=1000&timeout=10'   # 504
//
// The server prints one line, "listening on http://ADDR", and shuts down
// gracefully on SIGINT or SIGTERM: the requests in flight are expired at
// once and answered 503 "shutting down".
package main

import (
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/examples/internal/cli"
)

// command serves the container of app.go; the tests run it in-process.
var command = cli.Command{Name: "asyncrace", Build: func(opts ...container.Option) *container.Container { return newContainer(opts...) }}

func main() { command.Main() }
