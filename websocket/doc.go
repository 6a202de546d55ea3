// Package websocket serves WebSocket connections (RFC 6455) from Wharf
// handlers: github.com/gorilla/websocket answers the handshake, and the
// connection's frames are read and written here.
//
// A handler upgrades its request with Upgrade once the request has been
// through its filter chain (authentication, logging and CORS filters see it
// like any other request); NewHandler does that for an endpoint. The header
// fields set on the response before Upgrade go out on the 101 (a cookie,
// the subprotocol the handler chose). The HTTP/1.1 connection then leaves
// the connector and belongs to the Conn. WebSocket over HTTP/2 or HTTP/3
// (RFC 8441, RFC 9220) is not offered: such a request is answered 400,
// saying so (over HTTP/3, package h3 answers an extended CONNECT 501
// before any handler); so is an HTTP/1.0 request (the handshake needs
// HTTP/1.1) and one with a body, which would be read as the client's
// first frames.
// Compression is opt-in: by default a client's offer of
// permessage-deflate (RFC 7692), which browsers make on every connection,
// is declined, so messages travel uncompressed, and a frame with an RSV
// bit set is a protocol error (1002). With Config.EnableCompression the
// offer is accepted, always with server_no_context_takeover and
// client_no_context_takeover (an offer that asks for a smaller window
// than Send's 15 bits, or that RFC 7692 makes invalid, is declined, and
// the next one considered; one that asks for 15 bits is answered
// server_max_window_bits=15, which is how a server accepts that
// parameter, and the 101's Sec-WebSocket-Extensions is written here, not
// by gorilla, whose answer is fixed): each message is compressed alone, so a
// connection keeps no compression state between messages (flate readers
// and writers are pooled, lent for one message). The peer's compressed
// messages are inflated, on both connectors, ReadLimit bounding what they
// inflate to (a compression bomb fails with 1009 once that much came
// out); Send compresses a message of 128 bytes or more when that makes
// it smaller. A message for many connections (a broadcast) is prepared
// once (Prepare) and sent with SendPrepared: it is compressed once for
// all of them. No other extension is negotiated.
//
// A waiting connection costs no goroutine. On the epoll connector the
// socket stays with its selector (api.Tunnel): when the peer sends, a task
// on the executor reads the frames (package internal/wsframe decodes them)
// and runs the Handler's callbacks — OnOpen, then OnMessage for each
// message, then OnClose once — and returns when the socket has no more, so
// a connection's callbacks never run at once, as a request's tasks never
// do. A Handler that declares api.NonBlocking has them run on the
// selector itself. A quiet connection keeps no read buffer either: one is
// taken while a frame is partly read; over TLS as well (the epoll
// connector runs crypto/tls on its selector's events; the NonBlocking
// callbacks then run on the executor). Elsewhere (the portable connector,
// net/http) the connection is hijacked, and a goroutine waits
// in Read only while the peer is quiet, one in Write only while a write
// is under way: the same state machine runs on both.
//
// Send (from any goroutine) never blocks: when nothing is being written,
// the caller frames the message and writes what the socket takes now (eat
// what you kill: no goroutine is woken for it); the rest, and what is sent
// meanwhile, goes when the socket takes more, in the order of the Send
// calls. Pings and pongs go ahead of the messages waiting, and the close
// frame after them. One timer per connection serves the pings, the
// keep-alive, IdleTimeout and CloseTimeout: on the epoll connector a timer
// in the wheel of the selector polling the socket, which fires on the
// selector (a ping goes out from there, a dead peer is closed there), so a
// quiet connection costs no runtime timer; elsewhere a runtime timer.
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
// answered at once, ahead of what is queued for it. How far the server's
// side of the close has come is one state (Open, Queued, Framed, Sent, or
// Silent when no close frame is to go: state.go), changed only through
// its table of legal edges. A text message that is not UTF-8 never
// reaches OnMessage: the connection fails with 1007 (RFC 6455 §8.1) as
// soon as the bytes read, of a frame still partly read too, are ones no
// continuation could make UTF-8; so does a close frame whose reason is
// not UTF-8. A compressed message is checked once inflated.
// OnClose says why the connection ended (see Handler). A container's
// graceful Shutdown closes every WebSocket it served with 1001 and waits
// for the close handshakes, within its context: the close frame goes
// after what is queued, so a peer that has stopped reading holds the
// wait until WriteTimeout drops it, and CloseTimeout bounds the wait for
// the answer once the frame went out.
//
// Package websocket imports api, internal/wsframe, internal/timerwheel,
// internal/lazydone, internal/wsext (which reads the extension offers),
// gorilla/websocket, which it uses for the handshake,
// and klauspost/compress/flate, which compresses and inflates messages
// when compression is enabled.
package websocket
