package formdata

import "errors"

// Errors of package formdata. Parse and ParseAsync return them wrapped in
// an *api.StatusError that gives the status the container answers; limits
// are *LimitError (413).
var (
	// ErrUnsupportedType: the Content-Type is neither multipart/form-data
	// (with a boundary) nor application/x-www-form-urlencoded. Answered
	// 415 Unsupported Media Type.
	ErrUnsupportedType = errors.New("formdata: Content-Type is not multipart/form-data or application/x-www-form-urlencoded")
	// ErrMalformed: the body, or its boundary, is not valid multipart,
	// or a quoted-printable part's data is not quoted-printable.
	// Answered 400.
	ErrMalformed = errors.New("formdata: malformed multipart body")
	// ErrRemoved: the file was removed, because its request completed
	// (or Form.RemoveAll was called).
	ErrRemoved = errors.New("formdata: file removed: its request has completed")
	// ErrParseAborted: the request ended before ParseAsync's body was
	// read — its async timeout expired, its client left, it failed or
	// was completed by other code, the container closed — so done never
	// ran. A later Parse or ParseAsync of the exchange (from a timeout
	// listener, an error page, the expired re-dispatch, an OnComplete
	// listener) gets it, wrapping the end's error (api.ErrAsyncTimeout,
	// ...) when there was one.
	ErrParseAborted = errors.New("formdata: the request ended before its form was read")
	// ErrKeepOpen is what ParseAsync's done returns when it has started
	// work that answers later: the request stays open instead of
	// completing when done returns.
	ErrKeepOpen = errors.New("formdata: done answers later")
)
