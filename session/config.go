package session

import (
	"log/slog"
	"net/http"
	"time"
)

// Config configures a Manager. Its zero value is ready to use: an
// in-memory store and the defaults each field names.
type Config struct {
	// Store keeps the sessions. Zero means a new in-memory store with its
	// default bounds (NewMemoryStore(MemoryConfig{})).
	Store Store

	// CookieName names the session cookie. Zero means "wharf_session".
	CookieName string
	// CookiePath is the cookie's Path. Zero means "/".
	CookiePath string
	// CookieDomain is the cookie's Domain. Zero means none: the cookie
	// goes back only to the host that set it.
	CookieDomain string
	// Secure says when the cookie carries the Secure attribute. Zero
	// (SecureIfTLS) means on requests that arrived over TLS.
	Secure SecurePolicy
	// SameSite is the cookie's SameSite attribute. Zero means
	// http.SameSiteLaxMode. http.SameSiteNoneMode needs Secure (browsers
	// drop such a cookie otherwise): set Secure to SecureAlways with it.
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
	// does not undo its login), only with this timeout.
	StoreTimeout time.Duration
	// Logger receives the errors of saves that happen when a request
	// completes, which nobody else can see. Zero means slog.Default().
	Logger *slog.Logger
}

// SecurePolicy says when the session cookie is marked Secure.
type SecurePolicy int

const (
	// SecureIfTLS marks the cookie Secure on requests that arrived over
	// TLS (Request.TLS() != nil).
	SecureIfTLS SecurePolicy = iota
	// SecureAlways marks the cookie Secure on every request: for a server
	// behind a proxy that terminates TLS, where every request arrives in
	// cleartext but every client uses https.
	SecureAlways
)

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
	if cfg.SameSite == 0 {
		cfg.SameSite = http.SameSiteLaxMode
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
