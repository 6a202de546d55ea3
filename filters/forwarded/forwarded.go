package forwarded

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"

	"github.com/wharf-go/wharf/api"
	fields "github.com/wharf-go/wharf/internal/forwarded"
)

// Sentinel errors of package forwarded.
var (
	// ErrConfig is what New's error wraps for a Config it cannot use.
	ErrConfig = errors.New("forwarded: invalid configuration")
	// ErrMalformed is what a request is refused with when a trusted
	// proxy passed on a malformed forwarding field, in an
	// *api.StatusError of 400: the container answers it through its
	// error pages, as Jetty's ForwardedRequestCustomizer answers 400 Bad
	// Request.
	ErrMalformed = errors.New("forwarded: malformed forwarding field")
)

// errMalformed is the one refusal, shared: it says nothing of the request.
var errMalformed = &api.StatusError{Code: http.StatusBadRequest, Err: ErrMalformed}

// Header says which forwarding fields the trusted proxies write.
type Header int

const (
	// HeaderAny reads Forwarded when the request has one, and
	// X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and
	// X-Forwarded-Port otherwise.
	HeaderAny Header = iota
	// HeaderForwarded reads Forwarded (RFC 7239) only.
	HeaderForwarded
	// HeaderXForwarded reads X-Forwarded-For, X-Forwarded-Proto,
	// X-Forwarded-Host and X-Forwarded-Port only.
	HeaderXForwarded
)

// Config configures the filter. The zero value trusts no proxy: the
// filter then passes every request on unchanged.
//
// Whatever the Config, a Host the fields of a trusted proxy give, or
// whose port they give, leaves out the default port of the request's
// scheme (443 for https, 80 for http): X-Forwarded-Proto https with
// X-Forwarded-Port 443 makes the Host "example.com", not
// "example.com:443" (see the package documentation).
type Config struct {
	// TrustedProxies holds the addresses ("10.0.0.7", "::1") and prefixes
	// ("10.0.0.0/8") of the proxies whose forwarding fields are believed.
	// An IPv4-mapped entry ("::ffff:10.0.0.7") matches the IPv4 address
	// it stands for. A peer is matched against them only on a connection
	// that came to an IP address: on a Unix socket its address is the
	// name it bound, which may take any address's form. Empty trusts
	// none, loopback included (see the package documentation).
	TrustedProxies []string
	// TrustUnixPeers believes the peer of a connection over a Unix
	// socket: a proxy there, which only the processes allowed to open
	// the socket's file can reach. Such a connection is told by its
	// addresses, as the connectors and net/http's server write a Unix
	// socket's (net.UnixAddr's String): the local one is the socket's
	// name, an absolute path ("/run/app.sock") or a name in Linux's
	// abstract namespace ("@app"), and the peer's is the name it bound,
	// written the same way, or "@" (Linux) or "" (elsewhere) if it
	// bound none. A connection whose addresses are otherwise and whose
	// peer has no IP address (an empty or garbled RemoteAddr, a
	// listener of in-memory pipes, a socket bound to a relative path,
	// whose name cannot be told from a made-up one) is not believed.
	// The zero value believes none.
	TrustUnixPeers bool
	// Header says which fields to read. The zero value, HeaderAny,
	// reads Forwarded if the request has one, else the X-Forwarded
	// fields.
	Header Header
}

type filter struct {
	trusted []netip.Prefix
	unix    bool
	header  Header
}

// New returns the filter for cfg. It fails, with an error wrapping
// ErrConfig, on a TrustedProxies entry that is neither an address nor a
// prefix and on an unknown Header. The slice is copied.
func New(cfg Config) (api.Filter, error) {
	if cfg.Header < HeaderAny || cfg.Header > HeaderXForwarded {
		return nil, fmt.Errorf("%w: unknown Header %d", ErrConfig, cfg.Header)
	}
	f := &filter{header: cfg.Header, unix: cfg.TrustUnixPeers}
	for _, s := range cfg.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%w: trusted proxy %q is neither an address nor a prefix", ErrConfig, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		f.trusted = append(f.trusted, unmapPrefix(p.Masked()))
	}
	if len(f.trusted) == 0 && !f.unix {
		return api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			return next.Next(w, r)
		}), nil
	}
	return f, nil
}

// unmapPrefix returns an IPv4-mapped prefix as the IPv4 prefix it
// stands for, since the addresses it is matched against are unmapped.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// Filter passes next the request as its client made it, if the
// connection's peer is a trusted proxy and the forwarding fields name
// the client; else r itself. It refuses the request, with errMalformed,
// if what the trusted proxies wrote is malformed.
func (f *filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	if !f.trustsPeer(r.RemoteAddr(), r.LocalAddr()) {
		return next.Next(w, r)
	}
	c, v := f.client(r.Header())
	switch v {
	case found:
		r = derive(r, c)
	case malformed:
		return errMalformed
	}
	return next.Next(w, r)
}

// trustsPeer reports whether the connection's peer, at remote, is a
// trusted proxy; local is the address the connection came to.
func (f *filter) trustsPeer(remote, local string) bool {
	if a := peerAddr(remote); a.IsValid() {
		// Only on a connection that came to an IP address (or to one not
		// said): on a Unix socket the peer's address is the name it
		// bound, which any process that reaches the socket may shape as
		// a trusted proxy's ("10.0.0.1:5000", a file of its directory).
		return f.trusts(a) && (local == "" || peerAddr(local).IsValid())
	}
	return f.unix && unixConn(remote, local)
}

// unixConn reports whether a connection whose peer has no IP address
// came over a Unix socket: whether local is a socket's name and remote
// one too, or the name of a peer that bound none ("@" on Linux, ""
// elsewhere). See Config.TrustUnixPeers.
func unixConn(remote, local string) bool {
	return unixName(local) && (remote == "" || unixName(remote))
}

// unixName reports whether s is a Unix socket's name as net.UnixAddr
// writes it: an absolute path, or "@" and a name in Linux's abstract
// namespace ("@" alone for an unnamed socket there). A relative path
// is not one: it could be any word a connector made up.
func unixName(s string) bool {
	return s != "" && (s[0] == '/' || s[0] == '@' || filepath.IsAbs(s))
}

// trusts reports whether a is the address of a trusted proxy.
func (f *filter) trusts(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range f.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the address of a connection's "ip:port", unmapped; the
// zero Addr for one that has none (a Unix socket's peer, or a garbled
// address). A link-local
// IPv6 peer keeps its zone ("[fe80::1%eth0]:7000", as net.TCPAddr writes
// it): it is an IP peer, on the network, not one TrustUnixPeers
// believes, and no prefix contains a zoned address, so it is trusted by
// none.
func peerAddr(remote string) netip.Addr {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	if a.Zone() != "" {
		return a // Unmap would drop the zone of an IPv4-mapped one
	}
	return a.Unmap()
}

// verdict is what a walk of the hops found.
type verdict int

const (
	none      verdict = iota // no client named
	found                    // the client
	malformed                // a malformed hop right of any client
)

// client returns the hop that the fields of h name as the client, found
// from the right past the trusted proxies, and what the walk found.
func (f *filter) client(h api.Header) (fields.Hop, verdict) {
	var hops []fields.Hop
	switch {
	case f.header != HeaderXForwarded && h.Has("Forwarded"):
		for _, v := range h.Values("Forwarded") {
			hops = fields.ParseForwarded(hops, v)
		}
	case f.header != HeaderForwarded:
		hops = fields.ParseXForwarded(h.Values("X-Forwarded-For"), h.Values("X-Forwarded-Proto"), h.Values("X-Forwarded-Host"), h.Values("X-Forwarded-Port"))
	}
	return f.walk(hops)
}

// walk returns the client among hops, the list as the proxies built it
// (the latest last): the first from the right that is not a trusted
// proxy, or the first of the list. A malformed hop ends the walk as
// malformed: the peer, or a proxy it trusts, wrote it. One that names no
// address ends it too: what lies left of it cannot be told from what a
// client wrote, malformed or not.
func (f *filter) walk(hops []fields.Hop) (fields.Hop, verdict) {
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		if h.Bad {
			return fields.Hop{}, malformed
		}
		if i > 0 && f.trusts(h.Addr.Addr()) {
			continue
		}
		return h, found
	}
	return fields.Hop{}, none
}

// derived is a derived request's head and its ConnInfo, in one
// allocation.
type derived struct {
	head api.RequestHead
	conn api.ConnInfo
}

// derive returns r with the remote address, scheme, host and port that c
// gives, or r itself if c gives none. A host or port c gives is written
// without the default port of the scheme the request ends up with.
func derive(r *api.Request, c fields.Hop) *api.Request {
	if !c.Addr.Addr().IsValid() && c.Proto == "" && c.Host == "" && c.Port == 0 {
		return r
	}
	d := &derived{head: r.Head()}
	if ci := d.head.Conn; ci != nil {
		d.conn = *ci // the connection's is shared by its requests: never written through
	}
	if c.Addr.Addr().IsValid() {
		d.conn.RemoteAddr = c.Addr.String()
	}
	scheme := r.Scheme()
	switch c.Proto {
	case "https":
		d.conn.Scheme, scheme = api.SchemeHTTPS, c.Proto
	case "http":
		d.conn.Scheme, scheme = api.SchemeHTTP, c.Proto
	}
	d.head.Host = c.Authority(d.head.Host, scheme)
	d.head.Conn = &d.conn
	return r.WithHead(&d.head)
}
