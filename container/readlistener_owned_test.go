package container_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// blockingRead reads r's body as a handler does without a listener, and
// says how it went.
func blockingRead(how string, r *api.Request) string {
	var n int
	var err error
	switch how {
	case "Body":
		var b []byte
		b, err = io.ReadAll(r.Body())
		n = len(b)
	case "PostForm":
		var v map[string][]string
		v, err = r.PostForm()
		n = len(v)
	case "ToHTTPRequest":
		var hr *http.Request
		if hr, err = api.ToHTTPRequest(r); err == nil {
			var b []byte
			b, err = io.ReadAll(hr.Body)
			n = len(b)
		}
	}
	if wharftest.ListenerRefusal(err) {
		return "refused"
	}
	return fmt.Sprintf("read %d, err %v", n, err)
}

// Once a request has a ReadListener, its body is the listener's, as in
// the Servlet API (getInputStream after setReadListener, in blocking
// mode, is an IllegalStateException): a blocking read of it, in the
// dispatch that set the listener or in a re-dispatch of the request, by
// Body, PostForm or ToHTTPRequest's body, fails with an error wrapping
// api.ErrWrongState that names the listener, and the listener reads the
// whole body. Where the read ahead of the portable connector's listener
// raced the handler's read, and the other connectors split the bytes
// between the two.
func TestBlockingReadOfListenedBody(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("POST /read", func(w api.Response, r *api.Request) error {
			how := r.QueryValue("how")
			if l, ok := r.Attribute(wharftest.ListenerKey{}).(*wharftest.CountingListener); ok {
				fmt.Fprintf(w, "listener %d, redispatched %s", l.N, blockingRead(how, r))
				return nil
			}
			l, err := wharftest.StartCountingListener(r, r.QueryValue("redispatch") != "")
			if err != nil {
				return err
			}
			if !l.Redispatch {
				l.Note = blockingRead(how, r)
			}
			return nil
		})
	}
	const body = "a=1&b=2&c=3"
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, how := range []string{"Body", "PostForm", "ToHTTPRequest"} {
			for _, redispatch := range []bool{false, true} {
				u := s.URL + "/read?how=" + how
				want := fmt.Sprintf("listener %d, refused", len(body))
				if redispatch {
					u += "&redispatch=1"
					want = fmt.Sprintf("listener %d, redispatched refused", len(body))
				}
				req, err := http.NewRequest("POST", u, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, got := s.Do(t, req)
				if resp.StatusCode != http.StatusOK || string(got) != want {
					t.Errorf("%s, redispatch %v: %d %q, want 200 %q", how, redispatch, resp.StatusCode, got, want)
				}
			}
		}
	})
}
