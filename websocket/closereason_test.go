package websocket

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A close frame's reason is UTF-8 (RFC 6455 §5.5.1, §7.1.6: a peer such
// as gorilla's client fails the connection on one that is not), whatever
// the handler passed to Close: a byte that is not UTF-8 becomes U+FFFD,
// in a short reason as in a long one, and a long one is not emptied for
// it.
func TestCloseFrameReasonNotUTF8(t *testing.T) {
	for _, reason := range []string{
		"bad \xff byte",
		"\xff" + strings.Repeat("x", 200),
		strings.Repeat("x", 122) + "\xe2\x82",
	} {
		p := closeFrame(CloseNormal, reason)
		if len(p) < 2 || len(p) > 125 || !utf8.Valid(p[2:]) {
			t.Errorf("reason %q: payload %q (%d bytes), want a valid UTF-8 reason within 125 bytes", reason, p, len(p))
			continue
		}
		if len(p) < 2+10 {
			t.Errorf("reason %q: payload %q, the reason was dropped", reason, p)
		}
	}
}
