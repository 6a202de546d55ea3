package dispatcher_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

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
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<header>")
		if err := dispatcher.Include(w, r, "/fragments/news"); err != nil {
			return err
		}
		_, err := io.WriteString(w, "</header>")
		return err
	})
	c.HandleFunc("/fragments/news", func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/plain") // dropped when included
		w.SetStatus(http.StatusAccepted)             // likewise
		_, err := fmt.Fprintf(w, "news for %s", r.Path())
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/page")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), string(b))
	// Output: 200 text/html; charset=utf-8 <header>news for /fragments/news</header>
}

// By default a forward runs the target's handler alone: the filters ran
// for the request as it came. WithFilters runs those mapped to the target
// too, here the check that guards /admin/, which a forward from a path it
// does not guard would otherwise pass by.
func ExampleWithFilters() {
	c := container.New()
	c.FilterFunc("/admin/*", func(w api.Response, r *api.Request, next api.Chain) error {
		if r.Header().Get("Authorization") == "" {
			return api.Error(http.StatusUnauthorized, "")
		}
		return next.Next(w, r)
	})
	c.HandleFunc("/admin/panel", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "the admin panel")
		return err
	})
	c.HandleFunc("/go/plain", func(w api.Response, r *api.Request) error {
		return dispatcher.Forward(w, r, "/admin/panel")
	})
	c.HandleFunc("/go/filtered", func(w api.Response, r *api.Request) error {
		return dispatcher.Forward(w, r, "/admin/panel", dispatcher.WithFilters())
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	for _, p := range []string{"/go/plain", "/go/filtered"} {
		resp, err := http.Get("http://" + l.Addr().String() + p)
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(p, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	// Output:
	// /go/plain 200 the admin panel
	// /go/filtered 401 401 Unauthorized
}
