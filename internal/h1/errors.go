package h1

import "errors"

// Sentinel errors. ErrIncomplete is returned bare; every other sentinel
// reaches callers wrapped in an *Error carrying the status to answer, so
// callers match them with errors.Is.
var (
	// ErrIncomplete means the input ends before the element being parsed.
	// It is not a protocol error: read more bytes and call again.
	ErrIncomplete = errors.New("h1: incomplete message")

	// ErrHeaderTooLarge: the head (or the trailer section) exceeds its
	// byte limit. Status 431.
	ErrHeaderTooLarge = errors.New("h1: header section too large")
	// ErrURITooLong: the request-target exceeds its limit. Status 414.
	ErrURITooLong = errors.New("h1: request-target too long")
	// ErrTooManyHeaders: more header (or trailer) fields than allowed.
	// Status 431.
	ErrTooManyHeaders = errors.New("h1: too many header fields")
	// ErrBadRequest: a malformed request line or field line. Status 400.
	ErrBadRequest = errors.New("h1: malformed request")
	// ErrBadVersion: a well-formed HTTP version of another major version
	// than 1. Status 505.
	ErrBadVersion = errors.New("h1: unsupported HTTP version")
	// ErrBadContentLength: an invalid or inconsistent Content-Length.
	// Status 400.
	ErrBadContentLength = errors.New("h1: invalid Content-Length")
	// ErrConflictingFraming: both Content-Length and Transfer-Encoding.
	// Status 400.
	ErrConflictingFraming = errors.New("h1: both Content-Length and Transfer-Encoding")
	// ErrUnsupportedTransferEncoding: a transfer coding other than
	// chunked before a final chunked ("gzip, chunked"). Status 501. A
	// Transfer-Encoding whose final coding is not chunked, or that
	// applies chunked twice, is an ErrBadRequest (400): RFC 9112 §6.3.
	ErrUnsupportedTransferEncoding = errors.New("h1: unsupported Transfer-Encoding")
	// ErrBadChunk: malformed chunked framing. Status 400.
	ErrBadChunk = errors.New("h1: malformed chunked encoding")
	// ErrMissingHost: an HTTP/1.1 request without Host. Status 400.
	ErrMissingHost = errors.New("h1: missing Host header")
	// ErrBadHost: more than one Host, or an invalid host. Status 400.
	ErrBadHost = errors.New("h1: invalid Host")
)

// Error is a protocol error: the connection must answer Status and close.
//
// The parsers return shared, pre-allocated *Error values so that rejecting
// a request costs no allocation; treat them as read-only.
type Error struct {
	Status int    // HTTP status code to answer with
	Reason string // what exactly was wrong, safe to show to the peer
	Err    error  // one of the sentinels above, for errors.Is
}

func (e *Error) Error() string {
	if e.Reason == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

func perr(status int, sentinel error, reason string) *Error {
	return &Error{Status: status, Reason: reason, Err: sentinel}
}

// Request head errors, one value per distinct cause so the Reason is
// precise while staying allocation-free.
var (
	errHeadTooLarge    = perr(431, ErrHeaderTooLarge, "request head exceeds limit")
	errURITooLong      = perr(414, ErrURITooLong, "request-target exceeds limit")
	errTooManyFields   = perr(431, ErrTooManyHeaders, "too many header fields")
	errBareLF          = perr(400, ErrBadRequest, "line not terminated by CRLF")
	errBareCR          = perr(400, ErrBadRequest, "CR not followed by LF")
	errTooManyEmpty    = perr(400, ErrBadRequest, "too many empty lines before request line")
	errRequestLine     = perr(400, ErrBadRequest, "malformed request line")
	errMethod          = perr(400, ErrBadRequest, "invalid method")
	errTarget          = perr(400, ErrBadRequest, "invalid request-target")
	errAsterisk        = perr(400, ErrBadRequest, "asterisk-form target requires OPTIONS")
	errConnectTarget   = perr(400, ErrBadRequest, "CONNECT requires authority-form target")
	errVersion         = perr(400, ErrBadRequest, "malformed HTTP version")
	errVersionUnsup    = perr(505, ErrBadVersion, "only HTTP/1.x is supported")
	errObsFold         = perr(400, ErrBadRequest, "obsolete line folding")
	errFieldNoColon    = perr(400, ErrBadRequest, "field line without colon")
	errFieldName       = perr(400, ErrBadRequest, "invalid field name")
	errFieldValue      = perr(400, ErrBadRequest, "invalid character in field value")
	errContentLength   = perr(400, ErrBadContentLength, "Content-Length is not a decimal number")
	errContentLengthNE = perr(400, ErrBadContentLength, "differing Content-Length values")
	errFraming         = perr(400, ErrConflictingFraming, "Content-Length with Transfer-Encoding")
	errTE10            = perr(400, ErrBadRequest, "Transfer-Encoding in HTTP/1.0 request")
	errTEUnsupported   = perr(501, ErrUnsupportedTransferEncoding, "no transfer coding but chunked is implemented")
	errTENotFinal      = perr(400, ErrBadRequest, "chunked is not the final transfer coding")
	errTEChunkedTwice  = perr(400, ErrBadRequest, "chunked transfer coding applied more than once")
	errTEList          = perr(400, ErrBadRequest, "Transfer-Encoding not a single field reading chunked")
	errMissingHost     = perr(400, ErrMissingHost, "HTTP/1.1 request without Host")
	errDupHost         = perr(400, ErrBadHost, "more than one Host field")
	errHostSyntax      = perr(400, ErrBadHost, "invalid Host value")
	errTargetAuthority = perr(400, ErrBadHost, "invalid authority in request-target")
)

// Chunked body errors.
var (
	errChunkSize        = perr(400, ErrBadChunk, "invalid chunk size")
	errChunkExt         = perr(400, ErrBadChunk, "invalid chunk extension")
	errChunkLineTooLong = perr(400, ErrBadChunk, "chunk size line too long")
	errChunkOverhead    = perr(400, ErrBadChunk, "chunk framing far exceeds the data it frames")
	errChunkBareLF      = perr(400, ErrBadChunk, "line not terminated by CRLF")
	errChunkDataEnd     = perr(400, ErrBadChunk, "chunk data not followed by CRLF")
	errTrailerTooLarge  = perr(431, ErrHeaderTooLarge, "trailer section exceeds limit")
	errTooManyTrailers  = perr(431, ErrTooManyHeaders, "too many trailer fields")
)
