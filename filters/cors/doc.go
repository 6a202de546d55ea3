// Package cors is a filter that implements the server side of the CORS
// protocol of the Fetch standard (https://fetch.spec.whatwg.org/#http-cors-protocol).
//
// A CORS-preflight request (OPTIONS with Origin and
// Access-Control-Request-Method) is answered by the filter itself with 204
// No Content; the rest of the chain never sees it. If the origin, the
// requested method and every requested header are allowed, the answer
// carries Access-Control-Allow-Origin, -Allow-Methods, -Allow-Headers and,
// as configured, -Allow-Credentials and -Max-Age; otherwise it carries none
// of them and the browser fails the preflight.
//
// Any other request is passed to the rest of the chain. If it has an allowed
// Origin, the response gets Access-Control-Allow-Origin (the request's origin
// echoed, never "*", so that credentials and caches work),
// Access-Control-Allow-Credentials and Access-Control-Expose-Headers as
// configured. A request from an origin that is not allowed passes through
// without CORS headers.
//
// Every response of an enabled filter carries "Vary: Origin", since it
// depends on the Origin field; preflight answers also vary by
// Access-Control-Request-Method and Access-Control-Request-Headers. A
// handler that replaces the Vary field (Header().Set) or resets the
// response does not take Origin out of it: the filter puts it back when
// the rest of the chain returns, failed or not, if the head is still
// unsent. A handler that sends the head itself (a Flush, a body past the
// output buffer) after replacing Vary must keep Origin in it
// (Header().Add).
//
// The headers are set before the rest of the chain runs; a handler that
// calls Response.Reset drops them (all but Vary). Put the filter before
// the filters that answer on their own: after an authentication filter, a
// preflight (which carries no credentials) is answered 401; after the
// timeout, QoS or DoS filters, their 503 and 429 reach the browser
// without CORS headers, so a script cannot read them.
//
// Package cors imports only api and the standard library.
package cors
