package container_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Expect is read alike on every protocol, as one list across its fields
// (RFC 9110 §10.1.1, h1.ExpectMembers): a member other than 100-continue
// anywhere in it is a 417 without the handler; 100-continue (in any
// case, among empty members and white space) is the interim 100 when
// the handler first reads the body; empty members are no expectation.
// HTTP/2 took the last field as an exact match and never answered 417,
// HTTP/3 compared only the first field. The client holds its body back
// until a 100 in the rows that want one, so that a 100 missing fails the
// row rather than racing the body. net/http's server, in which NetHTTP
// serves the container, reads Expect its own way
// (TestNetHTTPDifferential in package connector lists the differences).
func TestExpectEveryProtocol(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/echo", func(w api.Response, r *api.Request) error {
			b, err := io.ReadAll(r.Body())
			if err != nil {
				return err
			}
			_, err = w.WriteString("read " + string(b))
			return err
		})
	}
	rows := []struct {
		name    string
		expect  []string // the Expect fields, in order
		status  int
		want100 bool // the client holds its body back until a 100
	}{
		{"none", nil, 200, false},
		{"100-continue", []string{"100-continue"}, 200, true},
		{"100-continue in another case", []string{"100-Continue"}, 200, true},
		{"100-continue among empty members", []string{" ,\t100-Continue ,,"}, 200, true},
		{"100-continue in two fields", []string{"100-continue", "100-CONTINUE"}, 200, true},
		{"empty members only", []string{", ,"}, 200, false},
		{"another", []string{"teapot"}, 417, false},
		{"100-continue and another", []string{"100-continue, teapot"}, 417, false},
		{"another and 100-continue", []string{"teapot,100-continue"}, 417, false},
		{"100-continue, then another field", []string{"100-continue", "teapot"}, 417, false},
		{"another, then a 100-continue field", []string{"teapot", "100-continue"}, 417, false},
		{"100-continue with a value", []string{"100-continue=1"}, 417, false},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if s.Mode == modes.NetHTTP {
			t.Skip("net/http's server answers Expect itself, from the first field")
		}
		for _, tt := range rows {
			t.Run(tt.name, func(t *testing.T) {
				got100 := make(chan struct{})
				var once sync.Once
				saw100 := func() { once.Do(func() { close(got100) }) }
				var body io.Reader = strings.NewReader("abc")
				if tt.want100 {
					body = &heldUntil100{got: got100, r: body}
				}
				req, err := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/echo", body)
				if err != nil {
					t.Fatal(err)
				}
				req.ContentLength = 3
				for _, v := range tt.expect {
					req.Header.Add("Expect", v)
				}
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
					Got100Continue: saw100,
					Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
						if code == http.StatusContinue {
							saw100()
						}
						return nil
					},
				}))
				resp, err := s.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.status || tt.status == 200 && string(b) != "read abc" {
					t.Errorf("%s: %d %q, want %d", resp.Proto, resp.StatusCode, b, tt.status)
				}
				select {
				case <-got100:
					if !tt.want100 {
						t.Errorf("%s: a 100 (Continue) came", resp.Proto)
					}
				default:
					if tt.want100 {
						t.Errorf("%s: no 100 (Continue) came", resp.Proto)
					}
				}
			})
		}
	})
}

// heldUntil100 is a body its client sends only once a 100 (Continue)
// came (got closed); it gives up after Patience.
type heldUntil100 struct {
	got    <-chan struct{}
	r      io.Reader
	waited bool
}

func (h *heldUntil100) Read(p []byte) (int, error) {
	if !h.waited {
		select {
		case <-h.got:
		case <-time.After(wharftest.Patience):
			return 0, errors.New("no 100 (Continue) came")
		}
		h.waited = true
	}
	return h.r.Read(p)
}
