package container_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
)

// A server that shuts down gracefully on SIGINT or SIGTERM: requests in
// flight and async work finish, long polls are expired so that their
// clients reconnect elsewhere, and after ten seconds whatever is left is
// closed.
func ExampleContainer_Shutdown() {
	c := container.New()
	c.HandleFunc("GET /hello", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "hello")
		return err
	})

	l, err := net.Listen("tcp", "127.0.0.1:0") // ":8080" in a real server
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- c.Serve(l) }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	resp, err := http.Get("http://" + l.Addr().String() + "/hello")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))

	// The signal comes from the terminal or the service manager; here the
	// example sends it to itself.
	self, _ := os.FindProcess(os.Getpid())
	self.Signal(os.Interrupt)

	<-ctx.Done()
	stop() // a second Ctrl-C now kills the process at once

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Shutdown(shutdownCtx); err != nil {
		log.Printf("graceful shutdown: %v; closing", err)
		c.Close()
	}
	fmt.Println(errors.Is(<-served, container.ErrServerClosed))
	// Output:
	// hello
	// true
}

// A net/http server beside the container's own connector, serving the
// same container on another listener (the container is an http.Handler):
// registered, it shuts down and closes with the container. (Package h3
// registers its HTTP/3 server the same way.)
func ExampleContainer_RegisterServer() {
	c := container.New()
	c.HandleFunc("GET /hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello over %s", r.Proto())
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)

	side := &http.Server{Handler: c}
	if _, err := c.RegisterServer(side); err != nil {
		log.Fatal(err) // the container is shutting down already
	}
	sl, _ := net.Listen("tcp", "127.0.0.1:0")
	served := make(chan error, 1)
	go func() { served <- side.Serve(sl) }()

	resp, err := http.Get("http://" + sl.Addr().String() + "/hello")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))

	// One Shutdown drains both.
	fmt.Println(c.Shutdown(context.Background()), <-served)
	// Output:
	// hello over HTTP/1.1
	// <nil> http: Server closed
}
