package container_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/devcert"
)

func Example() {
	c := container.New()
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		name := r.QueryValue("name")
		if name == "" {
			return api.Error(http.StatusBadRequest, "name is required")
		}
		_, err := fmt.Fprintf(w, "Hello, %s!", name)
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	for _, q := range []string{"?name=Wharf", ""} {
		resp, err := http.Get("http://" + l.Addr().String() + "/hello" + q)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%d %s\n", resp.StatusCode, b)
	}
	// Output:
	// 200 Hello, Wharf!
	// 400 400 Bad Request: name is required
}

// A context groups handlers under a path; patterns follow the servlet rules.
func ExampleContainer_Context() {
	c := container.New()
	shop := c.Context("/shop")
	shop.HandleFunc("/items/{id}", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "item %s in %s", r.PathParam("id"), r.ContextPath())
		return err
	})
	shop.HandleFunc("*.json", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "json at %s", r.PathInContext())
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	for _, p := range []string{"/shop/items/7", "/shop/data/x.json"} {
		resp, _ := http.Get("http://" + l.Addr().String() + p)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(b))
	}
	// Output:
	// item 7 in /shop
	// json at /data/x.json
}

// Error pages render failures by error and by status.
func ExampleContext_ErrorPage() {
	c := container.New()
	c.HandleFunc("/missing", func(w api.Response, r *api.Request) error {
		return api.Error(http.StatusNotFound, "no such thing")
	})
	c.Root().ErrorPage(http.StatusNotFound, api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "sorry: %v", container.ErrorOf(r))
		return err
	}))

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/missing")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(b))
	// Output: 404 sorry: 404 Not Found: no such thing
}

// A container is an http.Handler, and any http.Handler can be mounted in it.
func ExampleContext_Mount() {
	mux := http.NewServeMux()
	mux.HandleFunc("/std/ping", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") })
	c := container.New()
	c.Root().Mount("/std/*", mux)

	srv := &http.Server{Handler: c} // the container inside net/http
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
	defer srv.Close()
	resp, _ := http.Get("http://" + l.Addr().String() + "/std/ping")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output: pong
}

// Serving TLS: HTTP/1.1, and HTTP/2 for clients that ask for it through
// ALPN, with certificates from a tls.Config (or PEM files given to
// ServeTLS).
func ExampleContainer_ServeTLS() {
	cert, _ := devcert.New() // a development certificate, made now
	pool, _ := devcert.Pool(cert)
	c := container.New(container.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello over %s, ALPN %q", r.Proto(), r.TLS().NegotiatedProtocol)
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.ServeTLS(l, "", "")
	defer c.Shutdown(context.Background())

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + l.Addr().String() + "/hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output: hello over HTTP/2.0, ALPN "h2"
}
