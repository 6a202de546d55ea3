package dispatcher

import (
	"bufio"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
)

// IncludeResponse wraps w for an included resource: body writes and Flush
// go through; status, header, trailer and Reset changes are dropped, so the
// includer keeps control of the response. Taking the connection over
// (api.Hijack, api.Tunneler), which would let the resource write a head of
// its own, returns api.ErrNotSupported. Other capabilities stay reachable
// through Unwrap.
func IncludeResponse(w api.Response) api.Response {
	return &includeResponse{ResponseWrapper: api.ResponseWrapper{Response: w}}
}

type includeResponse struct {
	api.ResponseWrapper
	api.BlockingWrites // an include must not commit the head: no writes around it
}

// Header returns a scratch header: an included resource cannot set fields.
func (w *includeResponse) Header() http.Header  { return http.Header{} }
func (w *includeResponse) Trailer() http.Header { return http.Header{} }
func (w *includeResponse) SetStatus(int) error  { return nil }
func (w *includeResponse) Reset() error         { return nil }

// Hijack and Tunnel hide the connection's: the includer's status and
// header fields would go for nothing under a head the resource wrote.
func (w *includeResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, api.ErrNotSupported
}
func (w *includeResponse) Tunnel() (api.Tunnel, error) { return nil, api.ErrNotSupported }

// Include writes the output of the handler mapped to target into w, after
// whatever w already holds, like the Servlet API's include but without its
// special attributes: the target sees an ordinary forwarded Request,
// without the Range and precondition fields (If-Match, If-None-Match,
// If-Modified-Since, If-Unmodified-Since, If-Range), which are the
// includer's to answer, and without Accept-Encoding, so that the
// included bytes come as themselves, neither compressed nor a
// precompressed file. An includer's HEAD is a GET for the target, which
// writes the bytes the answer to HEAD counts in its Content-Length.
func Include(w api.Response, r *api.Request, target string, opts ...Option) error {
	// Appended to a copy: the caller's slice may have room after its
	// options, and handlers serving at once may share it.
	opts = append(opts[:len(opts):len(opts)], func(o *options) { o.include = true })
	return Forward(IncludeResponse(w), r, target, opts...)
}
