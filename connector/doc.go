// Package connector carries HTTP exchanges between the network and a
// container. It owns connections: accepting them, parsing requests with the
// pure HTTP/1.1 codec of internal/h1, framing responses, keep-alive,
// pipelining, limits and timeouts.
//
// A connector hands each parsed request to its Handler as a Stream and does
// not wait for the response: the handler may suspend the request and return,
// and the response may be finished later from any goroutine. The
// goroutine-per-connection connector in this package then holds no goroutine
// for the connection until the response is finished, when a goroutine picks
// the connection up again to read the next request.
//
// The connection state machine (conn.go) has named states — Idle, Reading,
// Serving, Detached, Closed — and one transition function; the
// handover between the connection goroutine and whichever goroutine finishes
// a suspended response is a single atomic swap.
//
// On Linux a plain TCP listener is served by the epoll connector instead:
// non-blocking sockets on a few epoll selectors, each a dispatcher.Producer
// under a dispatcher.Strategy, so that idle connections and suspended
// requests hold neither a goroutine nor a buffer, and a client that hangs
// up on a suspended request is noticed. TLS listeners, other platforms and
// Config.Portable use the goroutine-per-connection connector.
//
// Stream is the interface every protocol implements (HTTP/1.1 here; HTTP/2
// and HTTP/3 will implement it too), so the container above is the same for
// all of them. Package connector imports api, dispatcher and internal
// packages only.
package connector
