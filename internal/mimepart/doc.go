// Package mimepart is a push parser for multipart bodies (RFC 2046, as
// multipart/form-data uses them, RFC 7578): bytes go in through Write as
// they arrive, in pieces of any size, and events come out to a Handler —
// a part's header, chunks of its data, its end. It does no IO and keeps no
// goroutine, so a caller that is called when bytes arrive (a read
// listener) can parse without blocking.
//
// It accepts and rejects what mime/multipart's Reader does, part by part
// (NextRawPart: no Content-Transfer-Encoding decoding), down to that
// Reader's quirks: lines ending in a bare LF when the first delimiter line
// does, a part body that ends at a delimiter directly after its header's
// blank line, lines outside part bodies of 4,096 bytes or more rejected.
// The differential tests and FuzzParse hold it to that. The intentional
// differences: a body that ends inside a part's header section is
// rejected (mime/multipart reports io.EOF there, as for a complete body,
// and drops the part), and stricter limits: at most Limits.MaxParts parts and
// Limits.MaxHeaderBytes of header per part (which also bounds the number
// of header fields, where mime/multipart allows 10,000), and a boundary
// must be 1 to 70 characters of RFC 2046's set, where mime/multipart
// takes any.
//
// Memory is bounded by the limits: a part's header section (at most
// MaxHeaderBytes), one line outside part bodies (4 KiB) and a few bytes
// held back where a delimiter may begin; part data is passed through, not
// kept.
//
// QPDecoder decodes a part's data sent with Content-Transfer-Encoding
// quoted-printable, incrementally too, to what mime/multipart's NextPart
// gives for it (through mime/quotedprintable, which it feeds whole lines);
// FuzzQPDecode holds it to that. The Parser itself decodes nothing.
//
// A Parser or a QPDecoder belongs to one goroutine at a time; the caller
// serializes its calls. Package mimepart imports only the standard
// library.
package mimepart
