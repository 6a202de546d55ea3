// Command chat is the Jetty 6 chat room, rebuilt on Wharf continuations: a
// long-poll chat where a waiting browser costs the server no goroutine.
//
// Each member polls GET /chat/poll. With nothing to say, the poll suspends
// its request (continuation.Suspend) and the handler returns; the request
// then waits holding no goroutine and no stack. When someone speaks
// (POST /chat/say), the message is queued for every member and every
// waiting poll is resumed; the resumed dispatch answers the queue. A poll
// that nobody resumes expires after its timeout and answers [].
//
// Endpoints (form values may be sent URL-encoded in the body or the query):
//
//	GET  /                                the chat page (static/index.html)
//	POST /chat/join   member=M            join; joining twice is fine
//	GET  /chat/poll?member=M[&timeout=ms] wait for messages (default 10 s,
//	                                      0..60000); answers [{"from","text"}...]
//	POST /chat/say    member=M&text=T     send T to every member
//	POST /chat/leave  member=M            leave the room
//
// Usage:
//
//	go run ./examples/chat -addr 127.0.0.1:8080
//
// and open http://127.0.0.1:8080/ in a few browser windows. The server
// prints one line, "listening on http://ADDR", and shuts down gracefully on
// SIGINT or SIGTERM: waiting polls are expired and answer [].
package main

import (
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/examples/internal/cli"
)

// command serves the container of app.go; the tests run it in-process.
var command = cli.Command{Name: "chat", Build: func(opts ...container.Option) *container.Container { return newContainer(newRoom(), opts...) }}

func main() { command.Main() }
