// Package http2 is Wharf's HTTP/2 server (RFC 9113), as x/net/http2 is
// net/http's: it serves the connections a connector.Server hands over
// (TLS whose ALPN chose "h2", and h2c by prior knowledge or by
// "Upgrade: h2c") and implements connector.Stream for their streams, so
// the container serves HTTP/2 requests as it serves HTTP/1.1 ones.
// container.New plugs a Server into connector.Config.HTTP2; a program
// that uses the connector alone sets it itself.
//
// It owns the HTTP/2 connection and everything in it: framing on x/net's
// Framer and HPACK (imported here as xhttp2), with header blocks assembled,
// decoded and checked here (headers.go), the connection and stream
// flow-control windows, SETTINGS, the write queue and its writer, the
// stream state machine (state.go, RFC 9113 §5.1) and the connection's
// (state.go too: going away, ending on an error, closed, changed only by
// serverConn.fire), request heads and bodies, the h2c upgrade, GOAWAY on
// Shutdown and the limits that protect the server from abusive peers.
// HTTP/1.1's connection fields in a response are never sent (RFC 9113
// §8.2.2), but one whose Connection field names "close" sends, once it is
// queued whole, the GOAWAY of Shutdown's graceful close on its own
// connection, as x/net's server does: the streams already opened are
// served, and the client's next request goes on a new connection.
//
// Per connection a reader (conn.go, the connection's producer) handles
// every frame without waiting for anything but the socket, a writer
// goroutine (write.go) runs while frames are queued, handlers run on the
// executor, and a stream whose request is suspended holds no goroutine.
// On the epoll connector the connection is a connector.Waiter: the reader
// runs only while frames come (on the selector's goroutine, for at most
// h2FramesPerRun frames at a time, or on one of its own), and an idle
// connection holds no goroutine and no buffer, its reader's and writer's
// back in the Server's pools; elsewhere the reader is a goroutine for the
// connection's life. A frame is handled only once all of it came, so the
// reader never waits in the middle of one. When the socket runs dry with
// less than h2CarryMax (1 KiB) of a frame read, the reader copies those
// bytes out and gives its 16 KiB buffer back too, so that a client that
// stalls inside a frame while a stream keeps the connection open holds
// what it sent, not the buffer; with more read, the buffer stays (at most
// 16 times what the client sent, and a large DATA frame arriving in
// segments is never copied). A Handler that maps requests first (connector.Preparer) maps
// each on the reader, and one whose request must wait for its turn
// (Admitter, admit.go) keeps it there without a goroutine. The connector's facts arrive in a connector.Handover: the
// net.Conn and the bytes already read, the upgraded request, addresses,
// TLS state, limits, the executor, and the Books that keep the connection
// counted by the connector and reachable by its Shutdown and Close. The
// package never reaches into the HTTP/1.1 connection.
//
// Streams that a client ends with a reset before their response is
// complete are rate-limited per connection, whether it sent the
// RST_STREAM (rapid reset, CVE-2023-44487) or its frames made the server
// send one (MadeYouReset, CVE-2025-8671: a malformed request reset, a window
// overflowed, DATA after END_STREAM, a refused stream): a token bucket of
// h2ResetBurst, twice the concurrent streams so that a browser cancelling
// all it has open is never cut off, refilled at h2ResetRate a second and
// by each stream that ends in full both ways, so that a client whose
// streams are mostly answered is never cut off however fast it goes
// (conn.go's countResetLocked). Past it the connection ends with GOAWAY
// ENHANCE_YOUR_CALM. The server's own resets (a handler's Abort, a timeout)
// and NO_ERROR after a complete response are not counted. Every even
// stream id is idle, the server never pushing: a frame other than HEADERS
// or PRIORITY on one is a connection error, below the highest id too.
//
// Package http2 imports api, connector, dispatcher, internal/h1,
// internal/owner, internal/rate and golang.org/x/net/http2 (with hpack)
// only; connector must not import it.
package http2
