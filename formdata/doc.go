// Package formdata parses forms — multipart/form-data uploads and
// URL-encoded bodies — for Wharf handlers, under limits, with large files
// spooled to temporary files that are removed when the request completes.
//
// There are two styles, which build the same Form under the same Limits
// and fail with the same errors:
//
//   - Parse blocks the handler's goroutine while the body arrives, reading
//     it through mime/multipart's Reader as net/http's ParseMultipartForm
//     does. It suits ordinary handlers.
//   - ParseAsync returns at once: the request goes into async mode, the
//     body is read by a read listener (package async) as it arrives and fed
//     to a push parser (internal/mimepart), and a DoneFunc runs, as a
//     serialized task of the request, when the form is complete. No
//     goroutine waits for a slow client on the epoll connector, so
//     thousands of slow uploads cost memory, not goroutines.
//
// Both also take application/x-www-form-urlencoded bodies, so one call
// serves either encoding; for those the container's WithMaxFormBytes is
// the limit, as for Request.Form.
//
// # Limits and errors
//
// Every size and count is bounded (Limits; the zero value is sane) and
// checked as the bytes arrive. Over a limit, the error is a 413
// *api.StatusError wrapping a *LimitError, which wraps api.ErrBodyTooLarge
// and names the limit and the part, so a handler returns it as it is and
// the client reads why. A body over the connector's MaxBodyBytes, which
// applies underneath Limits.MaxBodyBytes, is a 413 *api.StatusError too,
// wrapping api.ErrBodyTooLarge and naming that limit. A malformed body or a missing boundary is a 400
// (ErrMalformed), a Content-Type that is no form a 415
// (ErrUnsupportedType).
//
// # Content-Transfer-Encoding
//
// RFC 7578 §4.7 deprecates Content-Transfer-Encoding in forms, but some
// clients, mail-derived libraries among them, still send it. As with
// net/http's ParseMultipartForm (mime/multipart's NextPart), a part sent
// with Content-Transfer-Encoding quoted-printable reaches the handler
// decoded, by mime/quotedprintable's rules, and without that field in its
// FileHeader.Header, so that nothing decodes it twice. Data that is not
// quoted-printable (an unescaped control byte, "==", an '=' ending the
// part, a line of 4,096 bytes or more before its LF, as
// mime/quotedprintable's Reader refuses them) is a 400 wrapping ErrMalformed that names the part. Every
// other encoding is passed on as it came, its field kept: 7bit, 8bit and
// binary are the bytes themselves, and base64, which net/http does not
// decode either, is the handler's to decode.
//
// The sizes of fields and files, and the limits on them (MaxFieldBytes,
// MaxFileBytes, MaxMemoryBytes, MemoryThreshold), count the decoded bytes
// a handler gets (FileHeader.Size is those too), as ParseMultipartForm's
// maxMemory does; MaxBodyBytes and the connector's limit count the body as
// sent. Parse and ParseAsync decode alike, so they answer the same body
// with the same status.
//
// # Temporary files
//
// The form owns its temporary files. Their removal is registered with
// async.OnComplete before the first byte is read, so they are removed
// however the request ends: answered, failed by the handler, expired,
// abandoned by the client in the middle of the body, or refused by a
// limit halfway (then at once). A handler therefore must not keep a Form
// or FileHeader past its request, nor hand one to a goroutine that
// outlives it; FileHeader.SaveTo keeps a file by moving it elsewhere.
//
// # Once per exchange
//
// The body can be read once, so a form is parsed once per exchange, as
// Request.Form parses a URL-encoded body once: the first Parse or
// ParseAsync of a request reads the body, under that call's Limits, and
// every later call of the same exchange gets the same *Form and the same
// error, whatever Limits it passes. That holds from any Request derived
// from the request (the exchange keeps the parse, not the Request): a
// filter that checks a field and then the handler, a handler that parses
// before it suspends (package continuation) and again on the resumed
// re-dispatch, a forward (package dispatcher) to a handler that parses, or
// a handler that simply calls Parse twice; as net/http's
// ParseMultipartForm keeps r.MultipartForm, and a Servlet container its
// parts for every dispatch. A later ParseAsync runs its done with that
// result, as a task of the request. A call while the first still reads
// the body waits for it when both are Parse, and otherwise returns an
// error wrapping api.ErrWrongState (ParseAsync's reading runs as tasks of
// the request, which a waiting call would hold back; ParseAsync does not
// block). A ParseAsync whose request ends before its done runs (its async
// timeout, its client gone, a failure, a Complete from other code, the
// container closing) is over then: a later call of the exchange (a
// timeout listener, an error page, the re-dispatch after the timeout, an
// OnComplete listener) gets ErrParseAborted, wrapping what ended the
// request when it failed. The temporary files are the first parse's,
// removed once, when the request completes. A Request that no container built has no
// exchange: there each call parses what is left of its body.
//
// Package formdata imports api, async, internal/exchange (where the
// exchange keeps its one parse, as package async reaches it),
// internal/mimepart and internal/replacefile.
package formdata
