// Package header is a filter that rewrites header fields: it sets, adds and
// removes fields of the response, and sets and removes fields of the request
// seen by the rest of the chain.
//
// Request changes build a new Request with Request.WithHeader; the Request
// the filter received is never mutated, so filters above it and other
// goroutines holding it still see the original fields.
//
// Response changes are applied to the Response's header before the rest of
// the chain runs, because the moment a response commits cannot be
// intercepted in general. Handlers below may therefore still override or
// delete these fields, and Response.Reset drops them. They are applied on
// the request's first dispatch only: a re-dispatch (a continuation resumed
// or expired) goes on with the fields of the earlier passes, so Add's
// values are not added twice. A forward through the filters
// (dispatcher.WithFilters), a page's or an error page's, passes the
// filter again within a dispatch: Remove and Set apply again, and Add
// adds no value the field already holds, so that none is sent twice.
// Request changes apply to every dispatch.
//
// Package header imports api, continuation and the standard library.
package header
