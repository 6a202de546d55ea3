package api_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
)

type userKey struct{}

// Filters derive new requests; they never mutate the one they were given.
func ExampleCompose() {
	auth := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		if r.Header().Get("Authorization") == "" {
			return api.Error(http.StatusUnauthorized, "")
		}
		return next.Next(w, r.WithAttribute(userKey{}, "alice"))
	})
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello %v", r.Attribute(userKey{}))
		return err
	}), auth)

	head := &api.RequestHead{Method: "GET", Path: "/", Header: api.NewHeader(http.Header{"Authorization": {"x"}})}
	w := wharftest.NewRecorder()
	err := h.Serve(w, api.NewRequest(context.Background(), head, nil))
	fmt.Println(w.Body(), err)

	err = h.Serve(wharftest.NewRecorder(), api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/"}, nil))
	fmt.Println(api.StatusOf(err))
	// Output:
	// hello alice <nil>
	// 401
}
