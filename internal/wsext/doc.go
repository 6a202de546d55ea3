// Package wsext reads the Sec-WebSocket-Extensions field of a WebSocket
// opening handshake (RFC 6455 §9.1): whether a client's offers hold one
// of permessage-deflate (RFC 7692 §7) that package websocket can honour.
// It is pure (field values in, a verdict out: no connection, no state),
// so it is table-tested and fuzzed on its own. The answer the server
// sends, and the compression itself, are package websocket's; the frames
// are package internal/wsframe's.
//
// Package wsext imports internal/h1 (its token and quoted-string
// lexers) and the standard library.
package wsext
