package session

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Config configures a Manager. Its zero value is ready to use: an
// in-memory store and the defaults each field names.
type Config struct {
	// Store keeps the sessions. Zero means a new in-memory store with its
	// default bounds (NewMemoryStore(MemoryConfig{})).
	Store Store

	// CookieName names the session cookie. Zero means "wharf_session".
	//
	// A Manager reads the first cookie of this name that a request
	// carries, and a browser sends first the cookie with the longest
	// Path, whatever set it: a host that shares a parent domain with
	// others (app.example.com beside user.example.com) can have a
	// session cookie of theirs stand in for its own. A name that begins
	// with "__Host-" ("__Host-session") prevents that: browsers accept
	// such a cookie only from the host itself, Secure, with Path "/" and
	// no Domain. With that prefix, or "__Secure-", the cookie is always
	// marked Secure, as browsers require, and New panics if CookieDomain
	// is set, or CookiePath is not "/", for "__Host-". New panics for a
	// name that is not a cookie name (a space, a separator, non-ASCII).
	CookieName string
	// CookiePath is the cookie's Path. Zero means "/". New panics for a
	// path that does not begin with "/", or has a byte a cookie cannot
	// carry (a control, ';').
	CookiePath string
	// CookieDomain is the cookie's Domain. Zero means none: the cookie
	// goes back only to the host that set it. New panics for one that is
	// not a domain name or an IP address ("example.com:8080"), which
	// net/http would leave out of the cookie.
	CookieDomain string
	// Secure says when the cookie carries the Secure attribute. Zero
	// (SecureIfTLS) means on requests that arrived over TLS; a CookieName
	// with the prefix "__Host-" or "__Secure-", or SameSite
	// http.SameSiteNoneMode, means SecureAlways.
	Secure SecurePolicy
	// SameSite is the cookie's SameSite attribute. Zero means
	// http.SameSiteLaxMode. http.SameSiteNoneMode makes the cookie
	// Secure on every request (Secure is SecureAlways), as browsers
	// require: they drop a SameSite=None cookie without it, and the
	// session would never stick.
	SameSite http.SameSite

	// IdleTimeout ends a session that no request used for this long.
	// Zero means 30 minutes. The last access is written to the store only
	// when more than a quarter of IdleTimeout passed since the stored one,
	// so a session may end up to a quarter of IdleTimeout early and a
	// busy session costs a store write per IdleTimeout/4, not per request.
	IdleTimeout time.Duration
	// MaxLifetime ends a session this long after it was created, however
	// busy it is. Zero means 24 hours.
	MaxLifetime time.Duration

	// StoreTimeout bounds each store call. Zero means 5 seconds. Store
	// calls do not end with the request's context (a client that leaves
	// does not undo its login), only with this timeout. It is also the
	// Retry-After of the 503 a request is answered when the store could
	// not be reached (see Manager.Filter).
	StoreTimeout time.Duration
	// Logger receives the errors of saves that happen when a request
	// completes, and of last-access writes after the response committed,
	// which nobody else can see. Zero means slog.Default().
	Logger *slog.Logger
}

// SecurePolicy says when the session cookie is marked Secure.
type SecurePolicy int

const (
	// SecureIfTLS marks the cookie Secure on requests that arrived over
	// TLS: Request.Scheme() is "https", which a trusted proxy that
	// terminated TLS says through filters/forwarded.
	SecureIfTLS SecurePolicy = iota
	// SecureAlways marks the cookie Secure on every request: for a server
	// behind a proxy that terminates TLS, where every request arrives in
	// cleartext but every client uses https (or put filters/forwarded
	// before the Manager, to follow what the proxy says).
	SecureAlways
)

// hasPrefixFold reports whether s begins with prefix, in any case, as
// browsers match cookie name prefixes.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// withDefaults returns cfg with its zero fields filled in.
func (cfg Config) withDefaults() Config {
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore(MemoryConfig{})
	}
	if cfg.CookieName == "" {
		cfg.CookieName = "wharf_session"
	}
	if cfg.CookiePath == "" {
		cfg.CookiePath = "/"
	}
	if err := (&http.Cookie{Name: cfg.CookieName}).Valid(); err != nil {
		// net/http writes no Set-Cookie for such a name (Cookie.String
		// gives ""): the client would never hold the session, and every
		// request would start and store a new one.
		panic(fmt.Sprintf("session: CookieName %q is not a valid cookie name", cfg.CookieName))
	}
	if err := (&http.Cookie{Name: cfg.CookieName, Path: cfg.CookiePath, Domain: cfg.CookieDomain}).Valid(); err != nil || cfg.CookiePath[0] != '/' {
		// net/http drops a Domain it finds invalid ("example.com:8080")
		// and the bytes of a Path it cannot send, logging each response:
		// the cookie would go to other hosts or paths than configured. A
		// Path that does not begin with "/" browsers ignore, scoping the
		// cookie to the directory of whichever URL first set it, so that
		// the session sticks on some pages only and a logout elsewhere
		// cannot drop it.
		panic(fmt.Sprintf("session: CookiePath %q or CookieDomain %q is not one browsers take as given (a path begins with \"/\"): %v", cfg.CookiePath, cfg.CookieDomain, err))
	}
	host := hasPrefixFold(cfg.CookieName, "__Host-")
	if host || hasPrefixFold(cfg.CookieName, "__Secure-") {
		cfg.Secure = SecureAlways
	}
	if host && (cfg.CookieDomain != "" || cfg.CookiePath != "/") {
		// A browser drops such a cookie without a word: every
		// request would start a new session.
		panic(fmt.Sprintf("session: a cookie named %q must have Path \"/\" and no Domain (Config has %q and %q)", cfg.CookieName, cfg.CookiePath, cfg.CookieDomain))
	}
	if cfg.SameSite == 0 {
		cfg.SameSite = http.SameSiteLaxMode
	}
	if cfg.SameSite == http.SameSiteNoneMode {
		// Over cleartext the cookie would be dropped anyway; without
		// Secure it would be dropped over TLS behind a proxy too.
		cfg.Secure = SecureAlways
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = 24 * time.Hour
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg
}
