// Package requestlog is a filter that writes one log/slog record per pass of
// a request through the filter chain, after the rest of the chain returns.
//
// The record has the attributes method, path, status, duration, bytes (body
// bytes written through the filter's Response), remote (the peer address),
// dispatch (initial, resumed or expired, from async.KindOf) and suspended,
// plus error when the chain returned one. status is the Response's status,
// or api.StatusOf of the returned error.
//
// A request that suspends (async.Start or a continuation) passes through the
// chain more than once. The filter logs at the end of each pass, so such a
// request gives one record with suspended=true and a record for each later
// re-dispatch, told apart by dispatch. What tasks dispatched with
// async.Context.Dispatch write is not counted: they receive the container's
// Response, not the filter's.
//
// Package requestlog imports only api, async and the standard library.
package requestlog
