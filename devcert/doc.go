// Package devcert makes self-signed TLS certificates at run time, for
// development, examples and tests (what mkcert does by hand): serve TLS,
// HTTP/2 and HTTP/3 on localhost with no certificate files, and no private
// key in the repository (WriteFiles writes one, for a test that serves
// from files, into the directory it is given). A production server uses
// certificates from a CA instead.
//
// A certificate it makes is its own root: trust it with Pool (Go clients)
// or PEM (curl --cacert). It is valid for the hosts given, from an hour ago
// to 30 days from now.
//
// Package devcert imports internal/replacefile (so that WriteFiles never
// writes a key through a link, nor into a file readable by all) and the
// standard library.
package devcert
