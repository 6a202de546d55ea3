package recovery_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/recovery"
)

func Example() {
	// Drop the time, the stack and the client's port so that the output
	// is stable.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "stack":
				return slog.Attr{}
			case "remote":
				host, _, _ := net.SplitHostPort(a.Value.String())
				return slog.String(a.Key, host)
			}
			return a
		},
	}))

	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", recovery.New(recovery.Config{
		Logger: logger,
		OnPanic: func(r *api.Request, v any) error {
			return api.Error(http.StatusServiceUnavailable, fmt.Sprint("recovered: ", v))
		},
	}))
	c.HandleFunc("/report", func(w api.Response, r *api.Request) error {
		panic("database gone")
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	resp, err := http.Get("http://" + l.Addr().String() + "/report")
	if err != nil {
		panic(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The client sees the status; the message of a 5xx error stays in the
	// server, for the container's logger and error pages.
	fmt.Println(resp.StatusCode, string(b))
	// Output:
	// level=ERROR msg="wharf: panic recovered" panic="database gone" method=GET path=/report remote=127.0.0.1
	// 503 503 Service Unavailable
}
