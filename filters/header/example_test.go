package header_test

import (
	"fmt"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/header"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func Example() {
	f := header.New(header.Config{
		Set:           map[string]string{"X-Content-Type-Options": "nosniff"},
		Remove:        []string{"Server"},
		RequestSet:    map[string]string{"X-Forwarded-Proto": "https"},
		RequestRemove: []string{"Cookie"},
	})
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		fmt.Printf("proto=%q cookie=%q\n", r.Header().Get("X-Forwarded-Proto"), r.Header().Get("Cookie"))
		return nil
	}), f)

	w := wharftest.NewRecorder()
	w.Header().Set("Server", "wharf")
	r := wharftest.Request("GET", "/", "Cookie", "session=1")
	_ = h.Serve(w, r)
	fmt.Println(w.Header())
	fmt.Println("original cookie:", r.Header().Get("Cookie"))
	// Output:
	// proto="https" cookie=""
	// map[X-Content-Type-Options:[nosniff]]
	// original cookie: session=1
}
