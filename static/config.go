package static

import "slices"

// Config configures a Handler. The zero value serves files and index.html,
// lists no directory, hides dot files, sends no Cache-Control, looks for
// precompressed siblings and serves up to 16 ranges.
type Config struct {
	// IndexNames are the files served for a directory path that ends in
	// '/', tried in order. Nil or empty means {"index.html"}.
	IndexNames []string
	// Listing, when true, answers a directory without an index file with
	// an HTML list of its entries (dot files left out unless
	// ServeDotFiles). False, the zero value, answers 404.
	Listing bool
	// ServeDotFiles, when true, serves names with a segment that starts
	// with '.' (".well-known/...", ".env"). False, the zero value, answers
	// 404 for them. To serve .well-known alone, mount a second Handler at
	// "/.well-known/*" over that directory: the names within it have no
	// dot segment.
	ServeDotFiles bool
	// CacheControl is the Cache-Control field sent with every 200, 206 and
	// 304 answer about a file ("public, max-age=3600"), not with a
	// listing, nor with a file served as an error page (see the package
	// documentation). Empty, the zero value, sends none.
	CacheControl string
	// CacheControlFunc, when not nil, chooses the Cache-Control field per
	// file instead of CacheControl: it is given the name of the file within
	// the root (as requested, before precompressed siblings; "app.js",
	// "img/a.png") and returns the field value, "" for none. It runs on the
	// request's goroutine and must not block. Nil, the zero value, uses
	// CacheControl.
	CacheControlFunc func(name string) string
	// DisablePrecompressed, when true, serves only the file named. False,
	// the zero value, looks for name.br and name.gz beside each file (two
	// more Stats per request) and serves one to a client that accepts it.
	DisablePrecompressed bool
	// MaxRanges is the most ranges one request may ask for; a Range field
	// with more is ignored and the whole file is sent. Zero means 16;
	// negative means no range is ever served ("Accept-Ranges: none").
	MaxRanges int
}

// defaultMaxRanges is MaxRanges when zero: enough for any reader of PDFs
// or media, few enough that one request cannot ask for thousands of parts.
const defaultMaxRanges = 16

// settled returns cfg with its zero values replaced by their meaning.
func (cfg Config) settled() Config {
	if len(cfg.IndexNames) == 0 {
		cfg.IndexNames = []string{"index.html"}
	} else {
		cfg.IndexNames = slices.Clone(cfg.IndexNames) // the caller may reuse its slice
	}
	if cfg.MaxRanges == 0 {
		cfg.MaxRanges = defaultMaxRanges
	}
	return cfg
}
