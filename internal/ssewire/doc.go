// Package ssewire is the text/event-stream framing of Server-Sent Events,
// as a pure codec: Append encodes an event or a comment into bytes, and
// Decoder turns bytes back into events by the WHATWG EventSource parsing
// rules (HTML Living Standard, "Server-sent events", 9.2.6). Package sse
// writes streams with it; tests and load tools read them with it.
//
// The encoder refuses, rather than repairs, what a stream cannot carry:
// an ID with CR, LF or NUL (a parser would split it into other fields, or
// ignore it), an event type with CR or LF, text that is not UTF-8 (a
// parser would replace it, so the client would see something else) and a
// negative retry. Data may hold anything else: it is split at every CR,
// LF and CRLF into one "data:" line per line, so a client sees its lines
// joined by LF.
//
// Package ssewire imports only the standard library.
package ssewire
