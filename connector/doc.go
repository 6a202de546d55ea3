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
// HTTP/2 (over TLS by ALPN, and h2c) is served by the connector's own
// server (h2conn.go and the h2 files beside it) on x/net/http2's Framer and
// hpack: per connection a reader goroutine that handles every frame without
// waiting for anything but the socket, a writer goroutine while frames are
// queued, handlers on the executor, and no goroutine for a suspended
// stream. Its stream state machine (h2state.go) follows RFC 9113 §5.1.
//
// Stream is the interface every protocol implements (HTTP/1.1 and HTTP/2
// here), so the container above is the same for all of them. Package
// connector imports api, dispatcher, internal packages and
// golang.org/x/net/http2 only.
package connector
