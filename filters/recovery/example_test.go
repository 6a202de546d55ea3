package recovery_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/recovery"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func Example() {
	f := recovery.New(recovery.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnPanic: func(r *api.Request, v any) error {
			return api.Error(503, fmt.Sprint("recovered: ", v))
		},
	})
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		panic("database gone")
	}), f)

	err := h.Serve(wharftest.NewRecorder(), wharftest.Request("GET", "/"))
	var se *api.StatusError
	fmt.Println(errors.As(err, &se), api.StatusOf(err), err)
	// Output: true 503 503 Service Unavailable: recovered: database gone
}
