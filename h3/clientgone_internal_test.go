package h3

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// TestClientGone tables the errors a write can get from quic-go: those that
// say the client left end its request quietly (connector.ErrClientGone),
// and those of the server's own making stay failures.
func TestClientGone(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"stop sending", &quic.StreamError{ErrorCode: 0x10c, Remote: true}, true},
		{"own stream reset", &quic.StreamError{ErrorCode: 0x10c}, false},
		{"h3 error from client", &http3.Error{ErrorCode: http3.ErrCodeRequestCanceled, Remote: true}, true},
		{"own h3 error", &http3.Error{ErrorCode: http3.ErrCodeInternalError}, false},
		{"application close", &quic.ApplicationError{ErrorCode: 0x100, Remote: true}, true},
		{"own application close", &quic.ApplicationError{ErrorCode: 0x100}, false},
		{"transport close", &quic.TransportError{ErrorCode: quic.NoError, Remote: true}, true},
		{"own transport close", &quic.TransportError{ErrorCode: quic.InternalError}, false},
		{"handshake timeout", &quic.HandshakeTimeoutError{}, true},
		{"idle timeout", &quic.IdleTimeoutError{}, true},
		{"stateless reset", &quic.StatelessResetError{}, true},
		{"wrapped", fmt.Errorf("write: %w", &quic.HandshakeTimeoutError{}), true},
		{"deadline", os.ErrDeadlineExceeded, false},
		{"other", errors.New("x"), false},
	}
	for _, tt := range tests {
		if got := clientGone(tt.err); got != tt.want {
			t.Errorf("%s: clientGone(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
