package container_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// ownedListener reads the whole body, then answers, or re-dispatches the
// request for the handler to read again.
type ownedListener struct {
	a          *async.Context
	in         *async.Input
	redispatch bool
	n          int
	read       string // what the handler's blocking read said, in the same dispatch
}

func (l *ownedListener) OnDataAvailable(api.Response) {
	buf := make([]byte, 4)
	for {
		n, err := l.in.Read(buf)
		l.n += n
		if err != nil {
			return
		}
	}
}

func (l *ownedListener) OnAllDataRead(w api.Response) {
	if l.redispatch {
		l.a.Redispatch(api.Attr{Key: ownedKey{}, Value: l})
		return
	}
	fmt.Fprintf(w, "listener %d, %s", l.n, l.read)
	l.a.Complete()
}

func (l *ownedListener) OnError(w api.Response, err error) {
	fmt.Fprintf(w, "listener error after %d: %v", l.n, err)
	l.a.Complete()
}

type ownedKey struct{}

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
	if errors.Is(err, api.ErrWrongState) && strings.Contains(err.Error(), "ReadListener") {
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
			if l, ok := r.Attribute(ownedKey{}).(*ownedListener); ok {
				fmt.Fprintf(w, "listener %d, redispatched %s", l.n, blockingRead(how, r))
				return nil
			}
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			l := &ownedListener{a: a, redispatch: r.QueryValue("redispatch") != ""}
			if l.in, err = a.SetReadListener(l); err != nil {
				return err
			}
			if !l.redispatch {
				l.read = blockingRead(how, r)
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
