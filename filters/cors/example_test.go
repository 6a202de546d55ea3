package cors_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/cors"
)

func Example() {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", cors.New(cors.Config{
		AllowedOrigins:   []string{"https://app.example"},
		AllowedMethods:   []string{"GET", "PUT"},
		AllowCredentials: true,
		MaxAge:           time.Hour,
	}))
	c.HandleFunc("/items", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("data")
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	url := "http://" + l.Addr().String() + "/items"

	// The browser's preflight is answered by the filter itself.
	req, _ := http.NewRequest("OPTIONS", url, nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Access-Control-Allow-Methods"), resp.Header.Get("Access-Control-Max-Age"))

	// The actual request reaches the handler and gets the CORS headers.
	req, _ = http.NewRequest("PUT", url, nil)
	req.Header.Set("Origin", "https://app.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), string(b))
	// Output:
	// 204 GET, PUT 3600
	// 200 https://app.example data
}
