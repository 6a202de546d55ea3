// Package websocket serves WebSocket connections (RFC 6455) from Wharf
// handlers, on github.com/gorilla/websocket.
//
// A handler upgrades its request with Upgrade once the request has been
// through its filter chain (authentication, logging and CORS filters see it
// like any other request); NewHandler does that for an endpoint. The HTTP/1.1
// connection then leaves the connector — the epoll connector hands its
// socket over to the Go runtime, so nothing reads it twice — and belongs to
// the Conn.
//
// A Conn has two goroutines. The reader reads messages and runs the
// Handler's callbacks — OnOpen, then OnMessage for each message, then
// OnClose once — so a connection's callbacks never run at once, as a
// request's tasks never do. The writer writes what is queued: messages
// Send could not write at once, pings for keep-alive, and the close frame.
// Send (from any goroutine) never blocks: when nothing is queued and no
// write is under way it writes the message itself with one non-blocking
// write (eat what you kill: no goroutine is woken for it), and hands the
// writer whatever the socket did not take; otherwise it queues. Over TLS
// every message goes through the writer. One write at a time, in the order
// of the Send calls. Config bounds everything a peer can hold: the message
// size, the send queue, the wait for a pong, the time without messages,
// the close handshake.
//
// Package websocket imports api, internal/wsframe and gorilla/websocket.
package websocket
