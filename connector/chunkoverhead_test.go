package connector_test

import (
	"strings"
	"testing"

	"github.com/wharf-go/wharf/connector"
)

// Chunk extensions are framing, not data: a body of one-byte chunks, each
// behind a 4 KiB extension, carries 256 KiB over the wire for 64 bytes of
// data. MaxBodyBytes and MaxDiscardBytes count data, so without a bound
// on the framing a client could make the server read and parse any
// amount past them (net/http refuses such a body, CVE-2023-39326). The
// body is refused as malformed instead: the reading handler's read fails
// with a 400, and a body left unread is not discarded to keep the
// connection, whose next request goes unanswered.
func TestChunkExtensionOverhead(t *testing.T) {
	body := strings.Repeat("1;a="+strings.Repeat("b", 4000)+"\r\nz\r\n", 64) + "0\r\n\r\n"
	next := "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
	tests := []struct {
		name  string
		path  string
		codes []int // the answers to the chunked request and, if read, to next
	}{
		{"read by the handler", "/echo", []int{400}},
		{"left unread", "/hello", []int{200}},
	}
	eachConnector(t, connector.Config{MaxBodyBytes: 4096, MaxDiscardBytes: 4096}, func(t *testing.T, cfg connector.Config) {
		addr, _ := serve(t, cfg)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				raw := "POST " + tt.path + " HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body + next
				resps, bodies, closed := roundTrip(t, addr, raw, len(tt.codes))
				for i, want := range tt.codes {
					if resps[i].StatusCode != want {
						t.Errorf("response %d: status %d (%.40q), want %d", i, resps[i].StatusCode, bodies[i], want)
					}
				}
				if !closed {
					t.Errorf("connection kept after a body of %d bytes framing 64 bytes of data", len(body))
				}
			})
		}
	})
}
