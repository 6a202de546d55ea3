package async

import (
	"fmt"
	"sync/atomic"

	"github.com/wharf-go/wharf/api"
)

// listenersKey is the key the exchange keeps its listeners' claims under
// (exchange.Value).
type listenersKey struct{}

// claims records that a request has its ReadListener, or WriteListener:
// one of each for the whole request, every async cycle of it, as in the
// Servlet API, whose second setReadListener or setWriteListener throws.
// A second reader would race the first for the body's bytes (on the
// portable connector, two read-ahead goroutines on one body), and a
// second writer would interleave its bytes with the first's.
type claims struct {
	read, write atomic.Bool
}

// claims returns the request's claims.
func (a *Context) claims() *claims {
	return a.ex.Value(listenersKey{}, func() any { return new(claims) }).(*claims)
}

// errSecondListener is the error of a second listener of a kind.
func errSecondListener(kind string) error {
	return fmt.Errorf("async: %w: the request has a %s already", api.ErrWrongState, kind)
}
