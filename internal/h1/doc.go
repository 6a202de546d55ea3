// Package h1 is wharf's HTTP/1.1 codec: it owns HTTP/1.1 message framing.
// It parses request heads, decodes chunked bodies, and encodes response
// heads and chunk framing.
//
// The package is pure: it works on byte slices handed to it and returns
// byte slices, with no net.Conn, io.Reader or goroutine of its own. That
// keeps every framing decision in one place that can be fuzzed in
// isolation, and lets any connector (goroutine-per-connection, epoll, or a
// test harness) drive it with whatever buffering it likes: a parser that
// needs more input says so with ErrIncomplete and consumes nothing, so the
// caller only has to read more and call again.
//
// Parsing is deliberately strict (RFC 9110, RFC 9112) because a lenient
// parser in front of, or behind, another HTTP implementation is how request
// smuggling happens: ambiguous framing is rejected rather than guessed.
// Protocol errors are returned as *Error, which carries the status code to
// answer before closing the connection.
//
// The hot paths (request head parsing on success, the encoders) do not
// allocate; parsed values are views into the caller's buffer, valid until
// the caller reuses it.
//
// It also holds the request rules HTTP/2 shares with HTTP/1.1 (RFC 9113
// §8.3 defers to them): how a target splits into path and query
// (SplitTarget), which fields a trailer may not carry
// (ForbiddenTrailer) and how an Expect list reads (ExpectMembers, which
// HTTP/3 shares too); and the RFC 9110 lexers of tokens and quoted
// strings (CutToken, CutQuoted), for the parsers of other fields
// (Forwarded, Sec-WebSocket-Extensions), so that a field is read one way
// wherever it is read.
//
// It imports the standard library and internal/httppath (the one path
// cleaner every protocol shares).
package h1
