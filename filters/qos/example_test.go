package qos_test

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
	"github.com/wharf-go/wharf/filters/qos"
)

func Example() {
	// One request at a time in /work; the others wait up to 100 ms.
	f := qos.New(qos.Config{MaxRequests: 1, MaxWait: 100 * time.Millisecond})
	release := make(chan struct{})
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/work", f)
	c.HandleFunc("/work", func(w api.Response, r *api.Request) error {
		<-release // a slow backend
		_, err := w.WriteString("done")
		return err
	})
	// A refusal is a failure that the error pages answer, as any other.
	c.ErrorPage(http.StatusServiceUnavailable, api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("busy, try again later")
		return err
	}))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	url := "http://" + l.Addr().String() + "/work"

	first := make(chan string)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			first <- err.Error()
			return
		}
		resp.Body.Close()
		first <- resp.Status
	}()
	for f.Stats().Active == 0 { // the first request holds the only place
		time.Sleep(time.Millisecond)
	}
	resp, err := http.Get(url) // waits 100 ms, suspended, then gives up
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("second:", resp.Status, "Retry-After:", resp.Header.Get("Retry-After"), string(body))
	close(release)
	fmt.Println("first:", <-first)
	fmt.Printf("%+v\n", f.Stats())
	// Output:
	// second: 503 Service Unavailable Retry-After: 1 busy, try again later
	// first: 200 OK
	// {Active:0 Waiting:0 Max:1 Admitted:1 Rejected:1 Left:0}
}
