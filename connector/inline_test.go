package connector

import "github.com/wharf-go/wharf/internal/exchange"

// The stream runs a suspended NonBlocking request's expired timeout where
// it fired. The container finds that out with a type assertion, which a
// drift of either signature would fail in silence, sending the work to the
// executor: this fails to compile instead.
var _ exchange.InlineRunner = (*stream)(nil)
