package websocket_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
	"github.com/wharf-go/wharf/websocket"
)

// The opening handshake (RFC 6455 §4.2) as browsers and attackers send
// it, in raw bytes, on both HTTP/1.1 connectors: what is refused gets its
// status before any 101, and what is accepted echoes a message, sent in
// the same write as the request (a first frame pipelined behind the
// handshake is not lost). An HTTP/1.0 request, which has no Upgrade
// (RFC 9110 §7.8), is refused, Host or not; so is a request with a body,
// whose bytes were once read as the client's first frames, and one with
// two Sec-WebSocket-Key fields (RFC 6455 §11.3.1), once answered for the
// first; a method other than GET is answered 405 with Allow: GET, which
// it once went without.
func TestHandshakeRequests(t *testing.T) {
	const (
		key  = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		std  = "Upgrade: websocket\r\nConnection: Upgrade\r\n" + key + "Sec-WebSocket-Version: 13\r\n"
		get  = "GET /ws HTTP/1.1\r\nHost: x\r\n"
		bare = get + "Upgrade: websocket\r\nConnection: Upgrade\r\n" // no key, no version
	)
	tests := []struct {
		name    string
		req     string // up to the blank line, which the test adds
		body    string // after the blank line (a body, or nothing)
		status  int
		want    string // in the refusal's body, or the 101's subprotocol
		version bool   // the refusal says Sec-WebSocket-Version: 13
	}{
		{"plain", get + std, "", http.StatusSwitchingProtocols, "", false},
		{"token lists and case", get + "upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n" + key + "Sec-WebSocket-Version: 13\r\n", "", http.StatusSwitchingProtocols, "", false},
		{"versions listed", bare + key + "Sec-WebSocket-Version: 8, 13\r\n", "", http.StatusSwitchingProtocols, "", false},
		{"POST", "POST /ws HTTP/1.1\r\nHost: x\r\n" + std + "Content-Length: 0\r\n", "", http.StatusMethodNotAllowed, "not GET", true},
		{"DELETE", "DELETE /ws HTTP/1.1\r\nHost: x\r\n" + std, "", http.StatusMethodNotAllowed, "not GET", true},
		{"no Upgrade", get + "Connection: Upgrade\r\n" + key + "Sec-WebSocket-Version: 13\r\n", "", http.StatusBadRequest, "'websocket' token", true},
		{"no upgrade in Connection", get + "Upgrade: websocket\r\nConnection: keep-alive\r\n" + key + "Sec-WebSocket-Version: 13\r\n", "", http.StatusBadRequest, "'upgrade' token", true},
		{"HTTP/1.0", "GET /ws HTTP/1.0\r\nHost: x\r\n" + std, "", http.StatusBadRequest, "HTTP/1.1", false},
		{"HTTP/1.0 without Host, Origin null", "GET /ws HTTP/1.0\r\n" + std + "Origin: null\r\n", "", http.StatusBadRequest, "HTTP/1.1", false},
		{"no Host", "GET /ws HTTP/1.1\r\n" + std, "", http.StatusBadRequest, "Host", false},
		{"no key", bare + "Sec-WebSocket-Version: 13\r\n", "", http.StatusBadRequest, "Sec-WebSocket-Key", true},
		{"key of 3 bytes", bare + "Sec-WebSocket-Key: AAAA\r\nSec-WebSocket-Version: 13\r\n", "", http.StatusBadRequest, "Sec-WebSocket-Key", true},
		{"key of 17 bytes", bare + "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=\r\nSec-WebSocket-Version: 13\r\n", "", http.StatusBadRequest, "Sec-WebSocket-Key", true},
		{"key not base64", bare + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ!!\r\nSec-WebSocket-Version: 13\r\n", "", http.StatusBadRequest, "Sec-WebSocket-Key", true},
		{"key twice", bare + key + "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\n", "", http.StatusBadRequest, "Sec-WebSocket-Key appears more than once", false},
		{"key twice, the same", bare + key + key + "Sec-WebSocket-Version: 13\r\n", "", http.StatusBadRequest, "Sec-WebSocket-Key appears more than once", false},
		{"version 8", bare + key + "Sec-WebSocket-Version: 8\r\n", "", http.StatusBadRequest, "version", true},
		{"no version", bare + key, "", http.StatusBadRequest, "version", true},
		{"same origin", get + std + "Origin: http://x\r\n", "", http.StatusSwitchingProtocols, "", false},
		{"origin of another host", get + std + "Origin: http://evil.example\r\n", "", http.StatusForbidden, "CheckOrigin", true},
		{"origin of another port", get + std + "Origin: http://x:81\r\n", "", http.StatusForbidden, "CheckOrigin", true},
		{"origin with the host as a suffix", get + std + "Origin: http://evil-x\r\n", "", http.StatusForbidden, "CheckOrigin", true},
		{"origin null", get + std + "Origin: null\r\n", "", http.StatusForbidden, "CheckOrigin", true},
		// One origin or none (RFC 6454 §7.3): the check read the first,
		// a proxy in front may read the last.
		{"origin twice, the host's first", get + std + "Origin: http://x\r\nOrigin: http://evil.example\r\n", "", http.StatusForbidden, "more than one origin", false},
		{"origin twice, the host's last", get + std + "Origin: http://evil.example\r\nOrigin: http://x\r\n", "", http.StatusForbidden, "more than one origin", false},
		{"origin twice, the same", get + std + "Origin: http://x\r\nOrigin: http://x\r\n", "", http.StatusForbidden, "more than one origin", false},
		{"origins in a comma list", get + std + "Origin: http://x, http://evil.example\r\n", "", http.StatusForbidden, "more than one origin", false},
		{"origins in a comma list without a space", get + std + "Origin: http://x,http://evil.example\r\n", "", http.StatusForbidden, "more than one origin", false},
		{"origins in a space list", get + std + "Origin: http://x http://evil.example\r\n", "", http.StatusForbidden, "more than one origin", false},
		{"origin twice, refused even by a CheckOrigin that accepts any", strings.Replace(get, "/ws", "/any", 1) + std + "Origin: http://x\r\nOrigin: http://evil.example\r\n", "", http.StatusForbidden, "more than one origin", false},
		{"another origin, accepted by a CheckOrigin that accepts any", strings.Replace(get, "/ws", "/any", 1) + std + "Origin: http://evil.example\r\n", "", http.StatusSwitchingProtocols, "", false},
		{"subprotocol offered", get + std + "Sec-WebSocket-Protocol: a, chat\r\n", "", http.StatusSwitchingProtocols, "chat", false},
		{"subprotocols none chosen", get + std + "Sec-WebSocket-Protocol: a, b\r\n", "", http.StatusSwitchingProtocols, "", false},
		{"body", get + std + "Content-Length: 6\r\n", "\x81\x84\x00\x00\x00\x00", http.StatusBadRequest, "body", false},
		{"chunked body", get + std + "Transfer-Encoding: chunked\r\n", "0\r\n\r\n", http.StatusBadRequest, "body", false},
		{"empty body", get + std + "Content-Length: 0\r\n", "", http.StatusSwitchingProtocols, "", false},
		{"refused by the handler", strings.Replace(get, "/ws", "/refuse", 1) + std, "", http.StatusForbidden, "not you", false},
	}
	eachH1(t, func(t *testing.T, m modes.Mode) {
		c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
		c.Handle("/ws", websocket.NewHandler(websocket.Config{Subprotocols: []string{"chat"}},
			func(*api.Request) (websocket.Handler, error) { return &echoAll{}, nil }))
		c.Handle("/any", websocket.NewHandler(websocket.Config{CheckOrigin: func(*api.Request) bool { return true }},
			func(*api.Request) (websocket.Handler, error) { return &echoAll{}, nil }))
		c.Handle("/refuse", websocket.NewHandler(websocket.Config{},
			func(*api.Request) (websocket.Handler, error) { return nil, api.Error(http.StatusForbidden, "not you") }))
		s := modes.Start(t, m, c)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var nc net.Conn
				var err error
				if s.ClientTLS != nil {
					cfg := s.ClientTLS.Clone()
					cfg.NextProtos = []string{"http/1.1"}
					nc, err = tls.Dial("tcp", strings.TrimPrefix(s.URL, "https://"), cfg)
				} else {
					nc, err = net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
				}
				if err != nil {
					t.Fatal(err)
				}
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(10 * time.Second))
				msg := ""
				if tc.status == http.StatusSwitchingProtocols {
					msg = string(clientFrame(wsframe.OpText, []byte("first"), true))
				}
				io.WriteString(nc, tc.req+"\r\n"+tc.body+msg)
				br := bufio.NewReader(nc)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tc.status {
					body, _ := io.ReadAll(resp.Body)
					t.Fatalf("%s %q, want %d", resp.Status, body, tc.status)
				}
				if tc.status != http.StatusSwitchingProtocols {
					body, _ := io.ReadAll(resp.Body)
					if !strings.Contains(string(body), tc.want) {
						t.Errorf("%s %q, want it to say %q", resp.Status, body, tc.want)
					}
					if got := resp.Header.Get("Sec-WebSocket-Version"); tc.version && got != "13" {
						t.Errorf("Sec-WebSocket-Version %q, want 13", got)
					}
					// A 405 names the methods the target takes (RFC 9110
					// §15.5.6), as the container's and net/http's do.
					if got := resp.Header.Get("Allow"); tc.status == http.StatusMethodNotAllowed && got != "GET" {
						t.Errorf("Allow %q, want GET", got)
					}
					return
				}
				if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != tc.want {
					t.Errorf("subprotocol %q, want %q", got, tc.want)
				}
				rc := &rawClient{nc: nc, br: br, resp: resp}
				if f, err := rc.next(); err != nil || f.Opcode != wsframe.OpText || string(f.Payload) != "first" {
					t.Fatalf("opcode %d, %q, %v; want the pipelined message echoed", f.Opcode, f.Payload, err)
				}
			})
		}
	})
}
