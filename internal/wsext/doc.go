// Package wsext reads the Sec-WebSocket-Extensions field of a WebSocket
// opening handshake (RFC 6455 §9.1): whether a client's offers hold one
// of permessage-deflate (RFC 7692 §7) that package websocket can honour,
// and the value of the Sec-WebSocket-Extensions field that answers it.
// It is pure (field values in, a verdict and an answer out: no
// connection, no state), so it is table-tested and fuzzed on its own.
// Writing the answer on the 101, and the compression itself, are package
// websocket's; the frames are package internal/wsframe's.
//
// Package wsext imports internal/h1 (its token and quoted-string
// lexers) and the standard library.
package wsext
