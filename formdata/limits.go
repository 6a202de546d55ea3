package formdata

import (
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/wharf-go/wharf/api"
)

// Defaults of the zero fields of Limits.
const (
	DefaultMaxParts        = 1000
	DefaultMaxHeaderBytes  = 10 << 10
	DefaultMaxFieldBytes   = 1 << 20
	DefaultMaxFileBytes    = 32 << 20
	DefaultMaxBodyBytes    = 64 << 20
	DefaultMaxMemoryBytes  = 10 << 20
	DefaultMemoryThreshold = 32 << 10
)

// Limits bound what parsing one request may take. The zero value is the
// defaults below; a negative size or count means no limit. The sizes of
// fields and files are of their bytes as the handler gets them, after
// quoted-printable decoding (see the package doc); MaxBodyBytes is of the
// body as sent. Every limit is
// checked as the bytes arrive, so nothing over a limit is kept: a
// request over one fails with a *LimitError (wrapped in a 413
// *api.StatusError that names it), and what was parsed so far is
// removed.
type Limits struct {
	// MaxParts is the most parts a multipart body may have. Zero means
	// DefaultMaxParts (1,000).
	MaxParts int
	// MaxHeaderBytes is the most bytes of one part's header section, its
	// line breaks and closing blank line included. Zero means
	// DefaultMaxHeaderBytes (10 KiB). Raised past about 40 KiB, it is not
	// the only bound for Parse, which reads parts with mime/multipart: that
	// refuses a part of more than 10,000 header lines (a 400) whatever the
	// limit, where ParseAsync takes it.
	//
	// MaxParts × (MaxHeaderBytes + 1 KiB) also bounds the memory the
	// form names and the files' headers a form keeps take, counted as a
	// parsed header takes it (a map entry and a string per line, many
	// times a short line's bytes; the 1 KiB is an ordinary part's): a
	// part that would go over it is a LimitError naming MaxHeaderBytes.
	MaxHeaderBytes int
	// MaxFieldBytes is the most bytes of one field (a part without a
	// filename). Zero means DefaultMaxFieldBytes (1 MiB).
	MaxFieldBytes int64
	// MaxFileBytes is the most bytes of one file. Zero means
	// DefaultMaxFileBytes (32 MiB).
	MaxFileBytes int64
	// MaxBodyBytes is the most bytes of the whole multipart body; a
	// Content-Length above it is refused before anything is read. Zero
	// means DefaultMaxBodyBytes (64 MiB). The connector's MaxBodyBytes
	// applies too, underneath. URL-encoded bodies have their own limit,
	// the container's WithMaxFormBytes.
	MaxBodyBytes int64
	// MaxMemoryBytes is the most bytes a form keeps in memory of its
	// fields' values and its files under MemoryThreshold. A file that
	// would go over it is written to disk whatever its size; a field that
	// would is a LimitError. Zero means DefaultMaxMemoryBytes (10 MiB).
	// What else a form keeps, the form names and each file's header, is
	// not counted here but within MaxParts × (MaxHeaderBytes + 1 KiB)
	// (with the defaults, at most 11 MiB more; see MaxHeaderBytes), where
	// mime/multipart's ReadForm counts it within its one maxMemory.
	MaxMemoryBytes int64
	// MemoryThreshold is the most bytes a file keeps in memory; a larger
	// one is written to a temporary file in TempDir as it arrives. Zero
	// means DefaultMemoryThreshold (32 KiB); negative means every file
	// goes to disk.
	MemoryThreshold int64
	// TempDir is the directory of the temporary files. Empty means
	// os.TempDir().
	TempDir string
}

// resolved returns l with its zero fields set to the defaults.
func (l Limits) resolved() Limits {
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	if l.MaxParts == 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxHeaderBytes == 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	def(&l.MaxFieldBytes, DefaultMaxFieldBytes)
	def(&l.MaxFileBytes, DefaultMaxFileBytes)
	def(&l.MaxBodyBytes, DefaultMaxBodyBytes)
	def(&l.MaxMemoryBytes, DefaultMaxMemoryBytes)
	def(&l.MemoryThreshold, DefaultMemoryThreshold)
	if l.TempDir == "" {
		l.TempDir = os.TempDir()
	}
	return l
}

// over reports whether n is over the limit max (negative: none).
func over(n, max int64) bool { return max >= 0 && n > max }

// LimitError is the error of a request over one of the Limits. It wraps
// api.ErrBodyTooLarge; Parse and ParseAsync return it inside a 413
// *api.StatusError, so the container's answer carries its message.
type LimitError struct {
	Limit    string // the field of Limits: "MaxFileBytes", ...
	Max      int64  // its value
	Part     int    // the part, counted from 1; 0 for the body as a whole
	Name     string // the part's form name, if known
	Filename string // the part's filename, for a file
}

// Error names the limit and the part.
func (e *LimitError) Error() string {
	return fmt.Sprintf("formdata: %s over %s (%d)", where(e.Part, e.Name, e.Filename), e.Limit, e.Max)
}

// where names a part for an error (the body, for part 0): its number,
// and its form name and filename where it has them.
func where(part int, name, filename string) string {
	switch {
	case part > 0 && filename != "":
		return fmt.Sprintf("part %d (field %q, file %q)", part, name, filename)
	case part > 0 && name != "":
		return fmt.Sprintf("part %d (field %q)", part, name)
	case part > 0:
		return fmt.Sprintf("part %d", part)
	}
	return "body"
}

// Unwrap returns api.ErrBodyTooLarge.
func (e *LimitError) Unwrap() error { return api.ErrBodyTooLarge }

// tooLarge wraps a LimitError for the container: 413 with its message.
func tooLarge(e *LimitError) error {
	return &api.StatusError{Code: 413, Err: e}
}

// readError is the error of a failed read of the body. One over the
// connector's MaxBodyBytes (api.ErrBodyTooLarge from the body itself, not
// from Limits) is a 413 *api.StatusError, as a LimitError's is, whose
// message names that limit, so that the client and the log say which
// limit it was rather than a bare "413 Request Entity Too Large".
func readError(err error) error {
	if errors.Is(err, api.ErrBodyTooLarge) {
		var se *api.StatusError
		if !errors.As(err, &se) {
			return &api.StatusError{Code: http.StatusRequestEntityTooLarge, Err: fmt.Errorf("formdata: body over the connector's MaxBodyBytes, which Limits.MaxBodyBytes does not raise: %w", err)}
		}
	}
	return fmt.Errorf("formdata: reading body: %w", err)
}
