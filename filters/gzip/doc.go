// Package gzip is a filter that compresses response bodies with gzip
// (github.com/klauspost/compress/gzip).
//
// A response is compressed when all of these hold:
//
//   - the request's Accept-Encoding accepts gzip (gzip or x-gzip with q > 0,
//     or * with q > 0 and gzip not listed);
//   - the response has no Content-Encoding, no Content-Range, no
//     "Cache-Control: no-transform", and a status that carries a body
//     (not 1xx, 204, 206 or 304);
//   - its Content-Type, as set by the handler or, if unset, sniffed from the
//     first bytes with http.DetectContentType, is in the compressible list;
//   - the body reaches Config.MinSize bytes. The filter buffers up to
//     MinSize bytes before it decides; a shorter body, or a Flush before
//     MinSize bytes were written, leaves the response uncompressed.
//
// A compressed response gets "Content-Encoding: gzip", loses Content-Length
// and Accept-Ranges, and gets the sniffed Content-Type if the handler set
// none (but not if it set the field to nil, as net/http's handlers do to
// send no type: the sniffed type then only decides). Every response whose
// compression depended on Accept-Encoding gets "Vary: Accept-Encoding",
// whether or not this client accepted gzip. So does a 206, sent as the
// handler cut it, whose handler describes a 200 that would get it
// (api.RepresentationDescriber, as package static does): a 206 carries
// the 200's Vary (RFC 9110 §15.3.7), which its part's type and length
// cannot tell. The head keeps what the decision made of it until it is
// sent: a Content-Length, ETag or Accept-Ranges the handler sets after
// the decision is dropped or marked as one set before, and a Vary it
// sets again keeps Accept-Encoding.
//
// A compressed response still holds the handler to the Content-Length it
// declared, as the container holds an uncompressed one: a write past it
// is refused whole (an error wrapping http.ErrContentLength), and a body
// that ends short of it is not finished but aborted (the filter returns
// an error wrapping http.ErrAbortHandler), so that the client and caches
// see it cut, as they see an uncompressed one the connection ends short.
// So are the bytes the filter buffers before it decides: a write that
// would take them past the declared length is refused the same way, and
// the response goes on with the body declared. A length the handler's
// Response never showed (set by a filter above, or through Unwrap on the
// Response under the filter's) is found only when the buffered bytes go:
// those that fit go, the rest is dropped, and the write that made the
// filter decide, if one did, returns the error.
//
// A response whose status becomes 204 or 304 before its head is sent has
// no body, as with the container alone: what was compressed of it is
// dropped, a later write is refused (an error wrapping
// http.ErrBodyNotAllowed), and the head goes without Content-Encoding.
//
// A HEAD request is decided as a GET of the same resource, so that its
// head is the one a GET would get (RFC 9110 §9.3.2): the body the handler
// writes, or failing that the Content-Length it declares, stands for the
// body, and a HEAD that a GET would compress gets "Content-Encoding: gzip",
// the marked ETag and the Vary, and loses Content-Length, with nothing
// compressed; a write past the length it declared is refused, as a
// GET's is. A HEAD with no Content-Type and no body is left as it is:
// there are no bytes to sniff its type from.
//
// Flush flushes the gzip stream and then the underlying Response. gzip
// writers are reused through a sync.Pool.
//
// # ETags
//
// The compressed bytes are another representation than the handler's, so
// they cannot share its ETag (RFC 9110 §8.8.1): a compressed response's
// ETag gets "--gzip" inside its quotes ("x" becomes "x--gzip", W/"x"
// W/"x--gzip"), and an ETag that is not an entity-tag is removed. On the
// way in, the handler sees If-Match, and for a client that accepts gzip
// If-None-Match, with that suffix taken off each entity-tag, so that
// conditional requests keep working against its own tags; a 304 answering
// an If-None-Match that named the compressed tag carries that tag, and
// "Vary: Accept-Encoding" as the compressed 200 did. A 304 has no type or
// length to tell whether its 200 would have been compressed; a handler
// that describes that 200 (api.RepresentationDescriber, as package static
// does) gets on its 304 the Vary that 200 would carry and, answering a
// date (If-Modified-Since without If-None-Match) to a client that accepts
// gzip, its marked ETag.
// If-Range is left as sent: a compressed tag there fails the handler's
// strong comparison, and the whole response is sent rather than a range
// of the uncompressed bytes. A handler's own tag that ends in "--gzip"
// would be taken for a compressed one.
//
// # Suspended requests
//
// A request that suspends (async.Start, continuations) leaves the chain with
// its response still open, and a resumed request passes through the chain
// again, with a new wrapper: the gzip stream cannot span dispatches. So when
// the chain returns and the request is suspended, the filter keeps nothing:
//
//   - if the dispatch wrote nothing (the usual continuation pattern, which
//     writes only in its final dispatch), nothing happens and a later
//     dispatch is compressed normally;
//   - if it wrote fewer than MinSize bytes, they are written uncompressed and
//     the response is flushed, so that later dispatches see a committed
//     response and do not compress either;
//   - if compression had started, the gzip stream is closed and flushed; a
//     later dispatch that writes more body corrupts the response. Write the
//     body of a compressed response in one dispatch.
//
// Tasks run with async.Context.Dispatch receive the container's Response,
// not this filter's wrapper, and are never compressed. So is the response of
// the chain below a timeout filter (filters/timeout) that a gzip filter
// added before it wraps, whatever the conditions above: that chain writes
// into the timeout filter's buffer on a goroutine of its own, after the
// dispatch returned, and a task copies the buffer into the container's
// Response (nor does the response get "Vary: Accept-Encoding"). Add the
// gzip filter after the timeout filter, where net/http's middleware would
// put it around http.TimeoutHandler, to have that chain's responses
// compressed.
//
// Package gzip imports only api, continuation, the standard library and
// github.com/klauspost/compress/gzip.
package gzip
