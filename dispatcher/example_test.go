package dispatcher_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
)

// Forward serves a new immutable request; the caller's is unchanged.
func ExampleForward() {
	c := container.New()
	c.HandleFunc("/old/*", func(w api.Response, r *api.Request) error {
		err := dispatcher.Forward(w, r, "/new"+r.Mapping().PathInfo)
		fmt.Println("caller still sees", r.Path())
		return err
	})
	c.HandleFunc("/new/*", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "served %s", r.Path())
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/old/page")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output:
	// caller still sees /old/page
	// served /new/page
}

// Include writes another resource's output into the page, after what the
// page already wrote; the page keeps its own status and headers.
func ExampleInclude() {
	c := container.New()
	c.HandleFunc("/page", func(w api.Response, r *api.Request) error {
		io.WriteString(w, "<header>")
		if err := dispatcher.Include(w, r, "/fragments/news"); err != nil {
			return err
		}
		_, err := io.WriteString(w, "</header>")
		return err
	})
	c.HandleFunc("/fragments/news", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "news for %s", r.Path())
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/page")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(b))
	// Output: 200 <header>news for /fragments/news</header>
}
