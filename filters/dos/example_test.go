package dos_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
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

// Stats counts what the filter did, for a metrics endpoint: here one
// client over its limit and another within it.
func ExampleFilter_Stats() {
	f, err := dos.New(dos.Config{Rate: 1, Burst: 1, Delay: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	defer c.Shutdown(context.Background())
	c.Filter("/*", f)
	c.HandleFunc("/api", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("ok")
		return err
	})

	for _, client := range []string{"192.0.2.1:1000", "192.0.2.1:1001", "192.0.2.2:1000"} {
		req := httptest.NewRequest("GET", "/api", nil)
		req.RemoteAddr = client
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		fmt.Println(client, rec.Code)
	}
	fmt.Printf("%+v\n", f.Stats())
	// Output:
	// 192.0.2.1:1000 200
	// 192.0.2.1:1001 429
	// 192.0.2.2:1000 200
	// {Clients:2 Passed:2 Delayed:0 Rejected:1}
}
