package dos_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/dos"
)

func Example() {
	// Two requests at once per client, then one a second; over that, a
	// request is refused at once (no delay).
	f, err := dos.New(dos.Config{Rate: 1, Burst: 2, Delay: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", f)
	c.HandleFunc("/api", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("ok")
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	for range 3 {
		resp, err := http.Get("http://" + l.Addr().String() + "/api")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(strings.TrimSpace(resp.Status + " " + resp.Header.Get("Retry-After")))
	}
	// Output:
	// 200 OK
	// 200 OK
	// 429 Too Many Requests 1
}
