package formdata_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/formdata"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// refusedOrNot says whether err is the refusal of a blocking read of a
// body a ReadListener has.
func refusedOrNot(err error) string {
	if wharftest.ListenerRefusal(err) {
		return "refused"
	}
	return fmt.Sprintf("err %v", err)
}

// A body with a ReadListener is the listener's: Parse, which reads the
// body blocking, fails with an error wrapping api.ErrWrongState that
// names the listener, in the dispatch that set it or a re-dispatch, and
// the listener reads the whole body; and so does the handler's PostForm
// after ParseAsync, whose parse (through its own ReadListener) gets the
// whole form. Where Parse, and PostForm, raced the listener's read ahead
// on the portable connector and took the bytes from it elsewhere, so that
// ParseAsync's form held what PostForm had read.
func TestBlockingParseOfListenedBody(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("POST /listener", func(w api.Response, r *api.Request) error {
			if l, ok := r.Attribute(wharftest.ListenerKey{}).(*wharftest.CountingListener); ok {
				_, err := formdata.Parse(r, formdata.Limits{})
				fmt.Fprintf(w, "listener %d, redispatched parse %s", l.N, refusedOrNot(err))
				return nil
			}
			l, err := wharftest.StartCountingListener(r, r.QueryValue("redispatch") != "")
			if err != nil {
				return err
			}
			if !l.Redispatch {
				_, err := formdata.Parse(r, formdata.Limits{})
				l.Note = "parse " + refusedOrNot(err)
			}
			return nil
		})
		c.HandleFunc("POST /async", func(w api.Response, r *api.Request) error {
			var post string
			_, err := formdata.ParseAsync(r, formdata.Limits{}, func(w api.Response, f *formdata.Form, err error) error {
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "a=%s c=%s, PostForm %s", f.Values.Get("a"), f.Values.Get("c"), post)
				return nil
			})
			if err != nil {
				return err
			}
			_, err = r.PostForm()
			post = refusedOrNot(err)
			return nil
		})
	}
	const form = "a=1&b=2&c=3"
	mp, mpType := multipartBody(upload{name: "a", content: "1"}, upload{name: "c", content: "3"})
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range []struct {
			path, ct, body, want string
		}{
			{"/listener", "application/x-www-form-urlencoded", form, fmt.Sprintf("listener %d, parse refused", len(form))},
			{"/listener", mpType, string(mp), fmt.Sprintf("listener %d, parse refused", len(mp))},
			{"/listener?redispatch=1", "application/x-www-form-urlencoded", form, fmt.Sprintf("listener %d, redispatched parse refused", len(form))},
			{"/listener?redispatch=1", mpType, string(mp), fmt.Sprintf("listener %d, redispatched parse refused", len(mp))},
			{"/async", "application/x-www-form-urlencoded", form, "a=1 c=3, PostForm refused"},
		} {
			code, got := post(t, s, tt.path, tt.ct, []byte(tt.body))
			if code != http.StatusOK || got != tt.want {
				t.Errorf("%s %.20s: %d %q, want 200 %q", tt.path, tt.ct, code, got, tt.want)
			}
		}
	})
}
