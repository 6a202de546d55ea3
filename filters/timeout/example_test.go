package timeout_test

import (
	"fmt"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func Example() {
	f := timeout.New(timeout.Config{Timeout: 50 * time.Millisecond, Status: 504, Body: "gave up"})
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		select {
		case <-time.After(time.Minute): // a slow backend
			_, err := w.WriteString("result")
			return err
		case <-r.Context().Done(): // cancelled at the timeout
			return r.Context().Err()
		}
	}), f)

	// In a container the filter answers through async; here the request
	// belongs to no exchange, so the call blocks until the timeout.
	w := wharftest.NewRecorder()
	err := h.Serve(w, wharftest.Request("GET", "/slow"))
	fmt.Println(err, w.Status(), w.Body())
	// Output: <nil> 504 gave up
}
