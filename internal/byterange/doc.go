// Package byterange parses the Range header field of RFC 9110 §14.2 for
// the byte unit: a header and a representation's size in, the satisfiable
// ranges out. It is pure (no I/O, no clock, no global state), so it is
// table-tested and fuzzed on its own, and differentially against what
// net/http's http.ServeContent serves for the same header.
//
// Parse follows the RFC's grammar, with two leniencies net/http shares:
// optional white space around each range-spec and around its '-', and
// empty list elements ("bytes=0-1,,2-3"). The unit is case-insensitive, as
// the RFC says (net/http accepts only "bytes=").
//
// What the caller does with the result is its own policy (package static
// ignores a malformed header and answers 200, answers 416 to an
// unsatisfiable one, and ignores too many or too large ranges); this
// package only says which of those the header is.
//
// Package byterange imports only the standard library.
package byterange
