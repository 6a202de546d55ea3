package requestlog_test

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/requestlog"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func Example() {
	// Drop the time and duration so that the output is stable.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprint(w, "hello")
		return err
	}), requestlog.New(requestlog.Config{Logger: logger}))

	_ = h.Serve(wharftest.NewRecorder(), wharftest.Request("GET", "/hello"))
	// Output:
	// level=INFO msg=request method=GET path=/hello status=200 bytes=5 remote=192.0.2.1:1234 dispatch=initial suspended=false
}
