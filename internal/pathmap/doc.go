// Package pathmap maps request paths to values using servlet URL patterns
// (Servlet 4.0 §12.2), extended with named path parameters.
//
// # Patterns
//
// A pattern is one of:
//
//   - Exact: "/a/b", a leading '/' and no wildcard. The empty pattern ""
//     matches the context root only (path "/"), with ServletPath "" and
//     PathInfo "/".
//   - Prefix: "/a/*" or "/*". "/a/*" matches "/a", "/a/" and "/a/x/y", but
//     not "/ab". "/*" matches every path.
//   - Extension: "*.jsp" matches when the last path segment ends in ".jsp",
//     so "/x/y.jsp" matches but "/x.jsp/y" does not. The extension itself
//     may not contain '.', '/', '*', '{' or '}'.
//   - Default: "/" matches any path no other pattern matches.
//
// Exact and prefix patterns may contain template segments written "{name}".
// A template segment matches exactly one non-empty path segment and binds
// it as a path parameter ([Param]); the value is the raw segment, not
// decoded. Names consist of letters, digits and '_', do not start with a
// digit and are unique within a pattern. A '{' or '}' anywhere else makes
// the pattern invalid, as do '*' outside the forms above, empty segments
// ("//"), "." and ".." segments (request paths are cleaned before they are
// mapped, so these could never match), and a final '/' other than the
// pattern "/" itself: "/api/" would
// match only the path "/api/" (servlet rules), where a net/http user means
// the subtree, so it is refused with a hint for "/api/*" or "/api".
//
// Patterns are written decoded, as the paths they match are: "/a b" or
// "/café", not "/a%20b", which could only match a request for
// "/a%2520b". A "%XX" escape (two hex digits) makes a pattern invalid,
// with the decoded pattern as a hint; a '%' not followed by two hex
// digits is a literal '%' ("/100%").
//
// Two patterns that match exactly the same paths ("/a/{id}" and
// "/a/{name}", or one string twice) are refused by [Map.Add] with
// [ErrDuplicatePattern]; [Map.Same] finds the pattern already added.
//
// # Precedence
//
// [Map.Match] returns the single best match:
//
//  1. an exact literal pattern equal to the path (including "" for "/");
//  2. an exact template; the one with the most literal segments wins, and
//     at an equal count a literal segment beats a template segment at the
//     first position where they differ ("/x/{b}" before "/{a}/y");
//  3. the longest prefix, counted in path segments (literal and template
//     segments alike); at equal length a literal segment beats a template
//     segment at the first position where they differ; "/*" is the
//     shortest prefix;
//  4. an extension pattern;
//  5. the default pattern "/".
//
// [Map.MatchAll] instead returns every matching pattern in the order the
// patterns were added, as needed to select filters.
//
// Paths are the decoded path within the context and must start with '/'.
// They are compared segment by segment on '/' and are neither decoded nor
// cleaned here: "/a/b/" does not match the exact pattern "/a/b".
//
// # Concurrency and cost
//
// A [Map] is built once and then read: Add must not be called concurrently
// with itself or with Match, MatchAll or AppendMatches. Once building is
// done, Match, MatchAll, AppendMatches and Len are safe for concurrent use
// without locks. Match does not allocate unless the winning pattern has
// path parameters.
//
// The package imports only the standard library.
package pathmap
