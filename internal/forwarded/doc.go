// Package forwarded parses the forwarding fields a proxy writes: RFC
// 7239's Forwarded and the de-facto X-Forwarded-For, X-Forwarded-Proto,
// X-Forwarded-Host and X-Forwarded-Port, into the list of hops they
// describe, the latest last. It is pure (field values in, hops out: no I/O, no clock, no
// global state), so it is table-tested and fuzzed on its own.
//
// Which hop is the client, and whom to believe, is the caller's policy
// (package filters/forwarded walks the list from the right past its
// trusted proxies); this package only says what each hop claims, and
// which hops are malformed.
//
// Package forwarded imports internal/h1 (its token and quoted-string
// lexers) and the standard library.
package forwarded
