// Package websocket serves WebSocket connections (RFC 6455) from Wharf
// handlers, on github.com/gorilla/websocket.
//
// A handler upgrades its request with Upgrade once the request has been
// through its filter chain (authentication, logging and CORS filters see it
// like any other request); NewHandler does that for an endpoint. The header
// fields set on the response before Upgrade go out on the 101 (a cookie,
// the subprotocol the handler chose). The HTTP/1.1 connection then leaves
// the connector — the epoll connector hands its socket over to the Go
// runtime, so nothing reads it twice — and belongs to the Conn. WebSocket
// over HTTP/2 or HTTP/3 (RFC 8441, RFC 9220) is not offered: such a
// request is answered 400, saying so.
//
// A Conn has two goroutines. The reader reads messages and runs the
// Handler's callbacks — OnOpen, then OnMessage for each message, then
// OnClose once — so a connection's callbacks never run at once, as a
// request's tasks never do. The writer writes what is queued: messages
// Send could not write at once, pings and pongs (ahead of the messages
// waiting), and the close frame. Send (from any goroutine) never blocks:
// when nothing is queued and no write is under way it writes the message
// itself with one non-blocking write (eat what you kill: no goroutine is
// woken for it), and hands the writer whatever the socket did not take;
// otherwise it queues. Over TLS every message goes through the writer.
// One write at a time, in the order of the Send calls.
//
// Keep-alive: the writer pings the peer every PingInterval, counted from
// the previous ping; a peer from which nothing at all arrives for
// PingInterval + PongTimeout is closed (1001). A client that only reads
// and answers pings — a ticker's, a dashboard's — stays as long as it
// does. Config bounds everything else a peer can hold: the message size,
// the send queue, the time without a frame, each write, the close
// handshake; its fields say exactly how each timeout counts.
//
// Closing: exactly one close frame goes each way. Close sends what is
// queued first; CloseNow (and Close once Send has said ErrQueueFull) drops
// the queue so that the close frame is the next thing the peer reads;
// Abort drops the connection without one. A close the peer begins is
// answered at once, ahead of what is queued for it. OnClose says why the connection
// ended (see Handler). A container's graceful Shutdown closes every
// WebSocket it served with 1001 and waits for the close handshakes,
// within its context and CloseTimeout.
//
// Package websocket imports api, internal/wsframe and gorilla/websocket.
package websocket
