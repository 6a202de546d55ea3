// Package forwarded is a filter for a server behind proxies (an ingress, a
// load balancer, a TLS terminator), in the spirit of Jetty's
// ForwardedRequestCustomizer: it passes the rest of the chain a request
// whose remote address, scheme and host are the client's, as the proxies
// reported them, instead of the last proxy's.
//
// # Whom it believes
//
// Only the proxies of Config.TrustedProxies (addresses and CIDR
// prefixes), and with Config.TrustUnixPeers a proxy on a Unix socket. A
// request whose connection does not come from one of them is passed on
// unchanged, whatever forwarding fields it carries: anyone can write
// them. The zero Config trusts no proxy, and the filter then only calls
// next. Not even loopback is trusted by default: a TCP relay on the same
// host (stunnel, HAProxy in TCP mode, an SSH tunnel) connects from
// loopback and passes on the fields its clients wrote. List
// "127.0.0.0/8" and "::1" for a proxy on the same host.
//
// A proxy on a Unix socket has no IP address to list: set
// Config.TrustUnixPeers to believe the peer of a Unix socket's connection
// (any process allowed to open the socket's file). Such a connection is
// told by its addresses: the local one a socket's name (an absolute path,
// or "@name" in Linux's abstract namespace), the peer's a name too, or
// "@" or "" for a peer that bound none. Any other connection without an
// IP address (an empty or garbled RemoteAddr from a connector of one's
// own, a listener of in-memory pipes) is not believed, nor is a socket
// bound to a relative path: listen on an absolute one. The zero value
// believes no Unix peer. The hops the fields list are matched against
// TrustedProxies alone, and so is the peer of a connection that came to
// an IP address (or to one a connector does not say), never that of a
// connection to a Unix socket: its peer's address is the name the peer
// bound, which any process that reaches the socket may shape as a
// trusted proxy's ("10.0.0.1:5000", a file of that name in its working
// directory).
//
// # What it reads
//
// RFC 7239's Forwarded field (for=, proto= and host=; quoted strings,
// IPv6 addresses in brackets, ports, "unknown" and obfuscated
// identifiers such as "_hidden"), and the de-facto X-Forwarded-For,
// X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Port. With the
// zero Config.Header a request that has a Forwarded field is read from
// it alone, as RFC 7239 §7.4 recommends, and one without from the
// X-Forwarded fields. Each proxy adds to these fields; none removes what
// the client wrote, unless told to. So a proxy that writes only one kind
// lets a client forge the other: set Config.Header to the kind your
// proxies write, or have them remove the other.
//
// The filter walks the list of hops from the right (the latest), from
// the connection's peer, skipping the trusted proxies: the first hop that
// is not one, or the first of the list if all are, is the client. Its
// address becomes the request's RemoteAddr ("ip:port", with port 0 when
// the proxy gave none or an obfuscated one). The proto= and host= of the
// same Forwarded element, which the proxy that took the client's request
// wrote, become its scheme (api.ConnInfo.Scheme, read by Request.Scheme) and
// its Host. X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Port are
// matched to X-Forwarded-For from the right, entry for entry; where they
// have fewer entries, their first stands for the hops to its left (a
// single value, as most proxies write it, applies to any client); without
// X-Forwarded-For they apply to the peer's client. X-Forwarded-Port, as
// Jetty reads it, is the port of the host the client's request came to:
// it takes the place of the port of the request's Host
// ("example.com:8080" with X-Forwarded-Port 8443 becomes
// "example.com:8443"), or is added to an X-Forwarded-Host without a
// port; an X-Forwarded-Host with a port keeps its own. A request without
// a Host keeps none. A Host the fields give, or whose port they give,
// leaves out the default port of the request's scheme (the fields' or,
// if they say none, the connection's): X-Forwarded-Proto https with
// X-Forwarded-Port 443, or Forwarded host="example.com:443";proto=https,
// make the Host "example.com", as browsers and net/http's client write
// it, so that the URLs a handler builds from it carry no ":443"; 80 is
// left out for http, and an empty port for both. Another port stays,
// and a Host the fields say nothing of is the request's, as it came.
//
// A scheme is "http" or "https", in any case. A host is a host[:port] of
// RFC 3986 that a handler may put in a URL as it is: a name or IPv4
// address of letters, digits, '-', '.', '_' and '~', or an IPv6 address
// in brackets, with a port of at most 65535. An X-Forwarded-Proto that
// is no URI scheme at all ("https:", "ht tp"), an X-Forwarded-Host that
// is no host[:port] ("evil.example/path", "u@evil.example",
// "example.com:65536"), and an X-Forwarded-Port that is not a decimal
// number from 1 to 65535 are malformed (see below): a proxy does not
// write them. A well-formed value the request cannot take is ignored, as
// a Forwarded proto= or host= that is none of the above is: another
// scheme ("wss", which some proxies write for a WebSocket handshake, and
// which refusing would fail), or a name with a percent-escape or a
// sub-delimiter ("a!b.example").
//
// A hop named "unknown", by an obfuscated identifier, or not named (an
// element without for=) ends the walk: no one can tell whether it is a
// trusted proxy. Its proto= and host= still apply, and the remote address
// stays the connection's, no other being known. A malformed part of a
// field (a syntax error, a parameter given twice, an address that does
// not parse, a malformed X-Forwarded value) ends the walk too. Left of the client it is ignored, as
// anything a client writes there is; to its right (the trusted proxies
// wrote it, or passed it on as theirs) the request is refused, as
// Jetty's ForwardedRequestCustomizer refuses it: the filter returns an
// *api.StatusError of 400 whose cause is ErrMalformed, which the
// container answers through its error pages, and the rest of the chain
// does not run. The fields of a peer that is not trusted are never read,
// so they are never refused. The header fields themselves are passed on
// as they came.
//
// The request the chain sees is a derivation (Request.WithHead with a
// ConnInfo of its own); the request the filter received is not changed.
// Put the filter before every filter that reads the client's address or
// scheme: filters/dos (which then keeps a bucket per client, not one for
// the proxy), filters/requestlog, filters/telemetry, session (whose
// SecureIfTLS cookie follows Request.Scheme).
//
// Goroutines: New may be called from any goroutine; the filter is safe
// for concurrent use.
//
// The fields are parsed by internal/forwarded, a pure codec fuzzed on its
// own; this package holds the policy: whom to believe, and which hop is
// the client.
//
// Package forwarded imports only api, internal/forwarded and the standard
// library.
package forwarded
