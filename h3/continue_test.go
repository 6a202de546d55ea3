package h3_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// "Expect: 100-continue" is answered with a 100 (Continue) when the
// handler first reads the body, as Wharf's HTTP/1.1 and HTTP/2 answer it
// (RFC 9110 §10.1.1): a client may hold its body back until then, and
// quic-go's server sends none of its own, so such a client's request
// waited for its own timeout and then ReadTimeout's 408. A handler that
// answers without reading invites no body.
func TestExpectContinue(t *testing.T) {
	s := startLimitServer(t, connector.Config{}, h3.Config{})
	for _, tt := range []struct {
		name, path, expect string
		wait               bool // the client sends its body only after a 100
		want100            bool
		body               string
	}{
		{"read", "/echo", "100-continue", true, true, "3 bytes, 0 trailer fields"},
		{"read/case", "/echo", "100-Continue", true, true, "3 bytes, 0 trailer fields"},
		{"unread", "/hello", "100-continue", false, false, "hello"},
		{"none", "/echo", "", false, false, "3 bytes, 0 trailer fields"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got100 := make(chan struct{})
			var once sync.Once
			var body io.Reader = strings.NewReader("abc")
			if tt.wait {
				body = &afterContinue{got: got100, r: body}
			}
			req := s.request(t, "POST", tt.path, body)
			req.ContentLength = 3
			if tt.expect != "" {
				req.Header.Set("Expect", tt.expect)
			}
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
				Got100Continue: func() { once.Do(func() { close(got100) }) },
			}))
			resp, err := s.cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(b) != tt.body {
				t.Errorf("status %d, body %q; want 200, %q", resp.StatusCode, b, tt.body)
			}
			// quic-go's client reports a 100 before it returns the response.
			select {
			case <-got100:
				if !tt.want100 {
					t.Error("a 100 (Continue) came")
				}
			default:
				if tt.want100 {
					t.Error("no 100 (Continue) came")
				}
			}
		})
	}
	s.servesHello(t)
}

// afterContinue is a body its client sends only once a 100 (Continue)
// came (got closed), as a client that waits for one does; it gives up
// after Patience.
type afterContinue struct {
	got    <-chan struct{}
	r      io.Reader
	waited bool
}

func (a *afterContinue) Read(p []byte) (int, error) {
	if !a.waited {
		select {
		case <-a.got:
		case <-time.After(wharftest.Patience):
			return 0, errors.New("no 100 (Continue) came")
		}
		a.waited = true
	}
	return a.r.Read(p)
}
