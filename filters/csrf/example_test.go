package csrf_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/csrf"
)

func Example() {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", csrf.New(csrf.Config{
		TrustedOrigins: []string{"https://admin.example"},
	}))
	c.HandleFunc("POST /transfer", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("transferred")
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	url := "http://" + l.Addr().String() + "/transfer"

	post := func(name, site, origin string) {
		req, _ := http.NewRequest("POST", url, nil)
		req.Header.Set("Sec-Fetch-Site", site)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(name, resp.StatusCode)
	}
	post("own page:", "same-origin", "http://"+l.Addr().String())
	post("forged form:", "cross-site", "https://evil.example")
	post("trusted origin:", "cross-site", "https://admin.example")
	// Output:
	// own page: 200
	// forged form: 403
	// trusted origin: 200
}
