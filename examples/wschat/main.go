// Command wschat is the chat room of examples/chat over WebSocket: each
// member holds one WebSocket connection, and what any member says is sent
// to every member at once.
//
// Endpoints:
//
//	GET /                          the chat page (static/index.html)
//	GET /ws?member=M[&rooms=A,B]   upgrade to WebSocket as member M (1 to
//	                               32 characters), in rooms A, B... (up to
//	                               32) or in the one default room
//
// On the WebSocket, a member sends {"text": T} and every member, the
// sender too, receives {"from": M, "text": T}. Joins and leaves arrive as
// {"from": "", "text": "M joined"}. With rooms, messages say which:
// {"room": R, "text": T} to send to room R, {"room": R, "from": M,
// "text": T} received by every member of R. A member whose connection cannot keep
// up (its send queue is full) is disconnected with 1008, which it reads
// next: its backlog is dropped.
//
// Usage:
//
//	go run ./examples/wschat -addr 127.0.0.1:8080
//
// and open http://127.0.0.1:8080/ in a few browser windows. Like every
// example it takes -tls, -cert/-key and -h2c. On shutdown (SIGINT,
// SIGTERM) the container closes every member's connection with 1001 and
// waits for the close handshakes before the program exits. A member that
// only reads stays as long as it answers pings (every 30 s): no idle
// timeout applies.
package main

import (
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/examples/internal/cli"
)

// command serves the container of app.go; the tests run it in-process.
var command = cli.Command{Name: "wschat", Build: func(opts ...container.Option) *container.Container { return newContainer(newRoom(), opts...) }}

func main() { command.Main() }
