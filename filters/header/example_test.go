package header_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/header"
)

func Example() {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", header.New(header.Config{
		Set:           map[string]string{"X-Content-Type-Options": "nosniff"},
		RequestSet:    map[string]string{"X-Forwarded-Proto": "https"},
		RequestRemove: []string{"Cookie"},
	}))
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "proto=%q cookie=%q",
			r.Header().Get("X-Forwarded-Proto"), r.Header().Get("Cookie"))
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/", nil)
	req.Header.Set("Cookie", "session=1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	fmt.Println("X-Content-Type-Options:", resp.Header.Get("X-Content-Type-Options"))
	// Output:
	// proto="https" cookie=""
	// X-Content-Type-Options: nosniff
}
