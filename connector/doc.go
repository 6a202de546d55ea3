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
// the connection up again to read the next request. It hears a client
// leave only while the handler's dispatch runs, as net/http's server
// does: once the request's body was read, a handler still running after
// a millisecond has a read of one byte watch the connection for it.
//
// Both connectors share the connection logic and its state machine
// (state.go): named states — New, Idle, Reading, Serving, Detached,
// Closed — and one transition function over a table of legal edges. They
// differ in a small I/O interface (connIO, connio.go). The handover
// between the connection goroutine and whichever goroutine finishes a
// suspended response is decided on one atomic word of the stream, a
// machine of its own (state.go: Serving, Detached, Finished, through one
// transition table). Two smaller machines are written the same way: the
// write side of a TLS connection on the epoll connector (tlsstate_linux.go:
// Idle, Writing, Closed, one atomic word, so that close_notify never goes
// while a response is written, and nothing is written after it), and the
// portable connector's hang-up watch (hangupstate.go: Idle, Armed,
// Reading, under the watch's mutex).
//
// On Linux a plain TCP listener is served by the epoll connector instead:
// non-blocking sockets on a few epoll selectors, each a dispatcher.Producer
// under a dispatcher.Strategy, so that idle connections and suspended
// requests hold neither a goroutine nor a buffer, and a client that hangs
// up on a suspended request is noticed. ServeTLS on a TCP listener is
// served there too (tls_linux.go): crypto/tls runs over the non-blocking
// socket only when the selector says bytes came, and only the handshake
// has a goroutine of its own. Other listeners (tls.NewListener's
// included), other platforms and Config.Portable use the
// goroutine-per-connection connector.
//
// A handler that switches an epoll connection to another protocol (package
// websocket does) can take it as an api.Tunnel instead of hijacking it
// (tunnel_linux.go): the socket stays with its selector, whose events call
// the Tunnel's callbacks, and the connection stays in the books (counted,
// waited for by Shutdown, broken by Close) until the Tunnel closes.
//
// HTTP/2 (over TLS by ALPN, and h2c) is not served here: the connector
// recognises a connection that speaks it (ALPN "h2", the HTTP/2 preface
// on a cleartext connection with Config.H2C, or a first request that
// Protocol.CanUpgrade accepts) and hands it over through one seam
// (handover.go): a Handover carries the connection, the bytes already
// read, the upgraded request, the addresses, the TLS state, the limits,
// the executor and the connection's Books, through which the connection
// stays counted in Stats and MaxConnections and Shutdown and Close reach
// it. Package connector/http2 implements Protocol; container.New plugs it
// into Config.HTTP2. This package does not import it.
//
// A request the connector refuses itself (HTTP/1.1's 400, 408, 413, 414,
// 417, 431, 501 or 505 for its head, a failed TLS handshake) reaches no
// filter, so no access log: it is logged at Debug level through
// Config.Logger as "connector: request refused", with the attributes remote (the peer's
// address), status (the status sent, 0 when the connection was closed
// unanswered), reason (the parser's error, or "tls handshake: " and
// crypto/tls's) and proto, so that a slowloris or a header flood leaves a
// trace. Package connector/http2 logs its malformed-request resets the
// same way. Nothing is built when Debug is not enabled.
//
// Stream is the interface every protocol implements (HTTP/1.1 here,
// HTTP/2 in connector/http2), so the container above is the same for all
// of them. Package connector imports api, dispatcher and internal packages
// only: its system calls (epoll, the sockets' non-blocking I/O) are
// internal/netpoll's.
package connector
