package http2

import (
	"errors"
	"fmt"
	"os"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
)

// Errors of package http2: what a stream's body reads and response writes
// fail with, and what ends a connection. None is exported: a handler sees
// them through the connector's (errH2ClientReset wraps
// connector.ErrClientGone), and logs see their text.
var (
	// errH2StreamReset is a stream reset by the server, or by the client
	// with an error code that reports a fault.
	errH2StreamReset = errors.New("http2: stream reset")
	// errH2ClientReset is a RST_STREAM from the client with NO_ERROR,
	// CANCEL or REFUSED_STREAM: it went away, as far as the request is
	// concerned, so the container ends it quietly.
	errH2ClientReset = fmt.Errorf("http2: the client reset the stream: %w", connector.ErrClientGone)
	// errH2FlowControl is a stream reset for a flow-control error.
	errH2FlowControl = errors.New("http2: flow-control error")
	// errH2WriteWait is a response that waited for a flow-control window
	// longer than WriteTimeout: a write timeout, which wraps
	// os.ErrDeadlineExceeded as HTTP/1.1's does.
	errH2WriteWait = fmt.Errorf("http2: flow-control window not opened within WriteTimeout: %w", os.ErrDeadlineExceeded)
	// errH2SlowReader is a response whose client took it slower than
	// MinResponseDataRate: its stream was reset.
	errH2SlowReader = fmt.Errorf("http2: the client takes the response slower than MinResponseDataRate: %w", connector.ErrTooSlow)
	// errH2SlowBody is inside the 408 a body read fails with when the body
	// comes slower than MinRequestDataRate or not within ReadBodyTimeout.
	errH2SlowBody = fmt.Errorf("http2: request body slower than MinRequestDataRate or ReadBodyTimeout: %w: %w", connector.ErrTooSlow, os.ErrDeadlineExceeded)
	// errH2Starved ends a connection every stream of which waits for a
	// client slower than a minimum data rate.
	errH2Starved = h2ConnectionError{xhttp2.ErrCodeEnhanceYourCalm, "every stream slower than the minimum data rate"}
	// errH2Done ends the reader after a graceful GOAWAY once no stream is
	// left.
	errH2Done = errors.New("http2: connection done")
	// errH2Yield ends a run of the reader on a Waiter that handled
	// h2FramesPerRun frames: it goes on on a goroutine of its own, so that
	// a client that never pauses cannot keep the selector to itself.
	errH2Yield = errors.New("http2: reader yields")
	// errBodySettled is a request body read after the response finished,
	// and a stream reset because its client kept sending such a body.
	errBodySettled = fmt.Errorf("http2: request body read after the response finished: %w", api.ErrCompleted)
	// errBodyLength is a request body whose length differs from its
	// content-length.
	errBodyLength = errors.New("http2: request body length differs from content-length")
	// errH2FieldName, errH2FieldValue, errH2PseudoAfter and
	// errH2PseudoRepeat make a header block malformed (RFC 9113 §8.2.1,
	// §8.3): its stream is reset with PROTOCOL_ERROR.
	errH2FieldName    = errors.New("http2: invalid header field name")
	errH2FieldValue   = errors.New("http2: invalid header field value")
	errH2PseudoAfter  = errors.New("http2: pseudo-header field after a regular one")
	errH2PseudoRepeat = errors.New("http2: pseudo-header field repeated")
)
