package auth_test

import (
	"context"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// outcome is what a filter did with one request.
type outcome struct {
	ran     bool      // the handler ran
	user    auth.User // what UserOf returned in the handler
	hasUser bool
	err     error // what the chain returned
	rec     *wharftest.Recorder
}

// run sends r through f to a handler that records the user.
func run(f api.Filter, r *api.Request) outcome {
	o := outcome{rec: wharftest.NewRecorder()}
	o.err = api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		o.ran = true
		o.user, o.hasUser = auth.UserOf(r)
		return nil
	}), f).Serve(o.rec, r)
	return o
}

// request is a GET of / with the given header fields (name, value pairs).
func request(kv ...string) *api.Request {
	return api.NewRequest(context.Background(), wharftest.Head("GET", "/", kv...), nil)
}

// status is the status the container would answer o with.
func (o outcome) status() int {
	if o.err != nil {
		return api.StatusOf(o.err)
	}
	return o.rec.Status()
}

func (o outcome) challenge() string { return o.rec.Header().Get("WWW-Authenticate") }

// basicHeader is the Authorization value net/http's client sends.
func basicHeader(user, password string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}
