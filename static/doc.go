// Package static serves files: Wharf's static resource handler, in the
// manner of Jetty's ResourceHandler and DefaultServlet and of net/http's
// FileServer.
//
// A Handler serves the files of an fs.FS (New: an embed.FS, an
// fstest.MapFS, any file system) or of an operating-system directory (Dir,
// through an os.Root, so that no name and no symbolic link leads out of
// it). The file it serves is the request's path within its mapping: under
// a prefix pattern ("/static/*") the part after the prefix (a request for
// /static/a/b.css serves "a/b.css"); under any other pattern (the default
// "/", an exact path, an extension) the path within the context. A
// Handler mounted at "/" serves the whole tree. A handler that chooses
// the file itself (a download by ID, a share link, a per-user file)
// calls ServeFile with its name, as a net/http handler calls
// http.ServeFile: everything below applies to it, but for directories.
//
// # What it answers
//
//   - GET and HEAD; other methods are 405 with "Allow: GET, HEAD" (register
//     the handler with "GET /static/*" to let the container answer them,
//     and OPTIONS, instead). Given directly as an error page, a Handler
//     is served the failed request as a GET, whatever its method (it is an
//     api.ReadOnlyHandler), as a page an error page forwards to is; so
//     is the file an error page serves with ServeFile.
//   - Content-Type from the name's extension (mime.TypeByExtension), else
//     sniffed from the first 512 bytes (http.DetectContentType). One set
//     before (by the handler that calls ServeFile, or a filter in front)
//     is kept, as net/http's ServeContent keeps it, on the 200, the 206
//     and each part of a multipart/byteranges; set to nil
//     (Header()["Content-Type"] = nil), it sends none and sniffs nothing.
//   - A strong ETag and, when the file has a modification time,
//     Last-Modified (see ETags), the time of the answer for a file dated
//     past it (RFC 9110 §8.8.2.1). If-Match and If-Unmodified-Since answer
//     412 when they fail; If-None-Match (weak comparison, RFC 9110
//     §13.1.2), and without it If-Modified-Since, answer 304, in the order
//     of RFC 9110 §13.2.2; a date field sent twice is ignored. A 304 carries no Content-Type, as net/http's does not; to a
//     wrapper that derives its ETag and Vary from the body (the gzip
//     filter, an api.RepresentationDescriber) it describes the 200.
//   - Ranges (RFC 9110 §14) on GET, parsed by internal/byterange: one range
//     is a 206 with Content-Range, several a 206 multipart/byteranges, none
//     satisfiable a 416 with "Content-Range: bytes */size". A malformed
//     Range field, more than Config.MaxRanges ranges, or ranges adding up to
//     more than the file (overlap abuse) are ignored: the whole file, 200,
//     as RFC 9110 allows and net/http does for the last. So is any Range
//     on an empty file, as in net/http, and several ranges of a file that
//     has neither ReadAt nor Seek (an fs.FS of streams) or of a
//     precompressed sibling (see below). If-Range (an
//     entity-tag compared strongly, or a date equal to Last-Modified)
//     decides whether the range or the whole file goes. HEAD ignores Range,
//     as RFC 9110 §14.2 says every method but GET must. To a wrapper that
//     derives its Vary from the body (the gzip filter, an
//     api.RepresentationDescriber) a 206 describes the whole file.
//   - Precompressed siblings: for x.js, an x.js.br or x.js.gz served with
//     Content-Encoding when Accept-Encoding accepts br or gzip (q-values
//     honoured; q=0 refuses; at equal q, br first), with x.js's
//     Content-Type. A sibling that is not a regular file is ignored, and
//     so is one older than x.js (x.js edited, the sibling not rebuilt:
//     it holds the old content), as Jetty's ResourceService ignores a
//     precompressed variant older than its resource; x.js itself, or a
//     fresh sibling of the other coding, answers then, with its own
//     ETag and Last-Modified. Where either file has no modification time
//     (embed.FS) the sibling is served. Deploy a tree with its times
//     kept (cp -p, rsync -t, tar): a plain cp gives each file the time
//     it was copied, and a sibling copied before its file then looks
//     stale and is not served. Every answer about a file that
//     has a regular sibling, stale or not, carries
//     "Vary: Accept-Encoding", and so does every answer to a request
//     without Accept-Encoding, for which the siblings are not looked for
//     (two system calls saved); each encoding has its own ETag, and ranges
//     count the encoded bytes. Several ranges of a sibling are answered
//     with the whole sibling: beside multipart/byteranges, its
//     Content-Encoding would say the multipart body is coded, where only
//     the bytes its parts are cut from are.
//   - Directories: a path without its trailing slash (a context's own path,
//     "/site" for a Handler at "/" in the context "/site", too) is
//     redirected (301) to the slash form; with it, the first of
//     Config.IndexNames that exists is served, else a listing if
//     Config.Listing, else 404. An index is served at its own name too
//     (/dir/index.html), where net/http's FileServer redirects that to
//     /dir/. A listing has no validator (no ETag and, unlike net/http's,
//     no Last-Modified) and no Cache-Control; its preconditions are
//     evaluated all the same (RFC 9110 §13.2.1): "If-None-Match: *" is a
//     304, an entity-tag in If-Match a 412, and the dates are ignored.
//   - Cache-Control from Config.CacheControl or Config.CacheControlFunc, on
//     the 200, 206 and 304 answers about a file. A file served as an error
//     page (a page that forwards to it: the response's status is already
//     the error's when the handler runs) goes without it and without
//     Last-Modified, from which caches compute a heuristic freshness for
//     a 404 or 410 (RFC 9111 §4.2.2): either would keep the error for the
//     URL that failed, past the deploy that ends it. Its request's
//     preconditions and Range are not evaluated (RFC 9110 §13.2.1): the
//     page goes whole with the error's status, never a 304, 412, 206 or
//     416 in its place, also to a handler that set the status itself
//     before it forwarded here (the container's error pages get a request
//     without those fields).
//
// # What it refuses
//
// Every refusal is 404, never 403, so that a client cannot tell a hidden
// or forbidden file from a missing one: a name with a segment starting
// with '.' (unless Config.ServeDotFiles), a backslash or a NUL byte (a
// backslash is a separator on Windows and, in a redirect, to browsers), a
// name that fs.ValidPath refuses, a symbolic link out of Dir's root, a file
// that is neither regular nor a directory (a device or FIFO, whose open
// could block), a file name with a trailing slash, and a file that cannot
// be opened for lack of permission. ".." never reaches the handler as a
// segment: connectors decode and clean every path before mapping, so a
// request can only name paths under its mapping, and the handler checks
// again anyway. A path with percent-encoded dot segments, slashes or
// backslashes, or with an escaped control character, is answered 400 by
// the container before that, unless container.WithAmbiguousPaths lets it
// be decoded and cleaned too; one with an escaped NUL always is. An error
// other than these (an I/O error) is returned, and answered 500.
//
// A file's type is checked with Stat before it is opened, and again on the
// open file; a file swapped for a FIFO between the two could still make
// an open wait, which only someone who may write under the root can do.
// The dot-segment rule is about the name requested: a symbolic link under
// the root with a name of its own leads to its target, a dot file too, as
// whoever made the link chose.
//
// New serves what the fs.FS gives it: os.DirFS follows symbolic links out
// of its directory, so serve an OS directory with Dir.
//
// # ETags
//
// For a file with a modification time the ETag is made of its size, its
// modification time in nanoseconds and, on Unix, its inode number: it
// changes when the file is rewritten or replaced (by another of the same
// size and time too, where there are inodes), and costs no reading. A file without a modification time
// (embed.FS) gets a hash of its content (SHA-256, the first 128 bits),
// computed on first use and kept by the Handler for the name: such a file
// system is taken to be immutable, as embed.FS is (a cached hash is
// recomputed only if the size changes, or, for an OS file, its inode or,
// on Linux, its change time: a Dir file with an epoch modification time
// may be rewritten in place). A precompressed sibling's ETag is
// its own file's, with its coding appended, so that no two encodings share
// one.
//
// # Sending the body
//
// Every 200 and single-range 206 body goes through one function, sendRange
// (send.go), given the open file, an offset and a length; it sets
// Content-Length first, so the response is not chunked. Where the
// connection writes without blocking (api.NonBlockingWriter: the epoll
// connector's cleartext HTTP/1.1) and the file is an *os.File (Dir, or an
// os.DirFS) of more than 16 KiB to send, the request goes async and its async.Output sends the file
// with sendfile(2) as the client takes it: a slow download holds no
// goroutine and no copy of the file, and the file is closed when the
// request completes. Elsewhere (TLS, HTTP/2, HTTP/3, the portable
// connector, embed.FS, a compressing filter in front) it copies with a
// pooled buffer on the handler's goroutine. It reports whether it kept the
// file open to finish later, in which case closing it is its job;
// otherwise the handler closes it when Serve returns. The parts of a
// multipart/byteranges body are always copied.
//
// Goroutines: a Handler is immutable after New or Dir, and its Serve may
// run on any number of goroutines at once, as the container calls it.
//
// Package static imports api, async and internal/byterange.
package static
