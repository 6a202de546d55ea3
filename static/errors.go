package static

import "errors"

// The errors a Handler's Serve returns inside an api.StatusError, which
// carries the status the container answers; test them with errors.Is.
var (
	// ErrNotFound is answered 404: a missing file, and every refusal (a
	// hidden file, a name out of the root, a directory without an index or
	// listing; see the package documentation).
	ErrNotFound = errors.New("static: not found")
	// ErrMethodNotAllowed is answered 405, with "Allow: GET, HEAD".
	ErrMethodNotAllowed = errors.New("static: method not allowed")
	// ErrPreconditionFailed is answered 412: an If-Match or
	// If-Unmodified-Since that does not hold.
	ErrPreconditionFailed = errors.New("static: precondition failed")
)
