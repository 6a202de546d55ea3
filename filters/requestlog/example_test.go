package requestlog_test

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
	"github.com/wharf-go/wharf/filters/requestlog"
)

func Example() {
	// Drop the time, duration and peer address so that the output is stable.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "duration", "remote":
				return slog.Attr{}
			}
			return a
		},
	}))

	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", requestlog.New(requestlog.Config{Logger: logger}))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprint(w, "hello")
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	for _, p := range []string{"/hello", "/nowhere"} {
		resp, err := http.Get("http://" + l.Addr().String() + p)
		if err != nil {
			panic(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Output:
	// level=INFO msg=request method=GET path=/hello status=200 bytes=5 dispatch=initial suspended=false
	// level=INFO msg=request method=GET path=/nowhere status=404 bytes=0 dispatch=initial suspended=false error="404 Not Found"
}
