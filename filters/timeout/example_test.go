package timeout_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/timeout"
)

func Example() {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", timeout.New(timeout.Config{Timeout: 50 * time.Millisecond}))
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		select {
		case <-time.After(time.Second): // a slow backend
			_, err := w.WriteString("late result")
			return err
		case <-r.Context().Done(): // cancelled when the filter gives up
			return r.Context().Err()
		}
	})
	c.HandleFunc("/fast", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("result")
		return err
	})
	// The timeout is a failure that the error pages answer, as any other.
	c.ErrorPage(http.StatusServiceUnavailable, api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("busy, try again later")
		return err
	}))

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	for _, p := range []string{"/slow", "/fast"} {
		resp, err := http.Get("http://" + l.Addr().String() + p)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(p, resp.StatusCode, string(b))
	}
	// Output:
	// /slow 503 busy, try again later
	// /fast 200 result
}

// A timeout answered by the filter itself, with a status and a body of
// its choosing, instead of a failure for the error pages.
func ExampleConfig() {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	defer c.Shutdown(context.Background())
	c.Filter("/*", timeout.New(timeout.Config{
		Timeout: 20 * time.Millisecond,
		Status:  http.StatusGatewayTimeout,
		Body:    "the report took too long; try a smaller range",
	}))
	c.HandleFunc("/report", func(w api.Response, r *api.Request) error {
		<-r.Context().Done() // a backend that does not answer in time
		return r.Context().Err()
	})

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/report", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body)
	// Output:
	// 504 text/plain; charset=utf-8
	// the report took too long; try a smaller range
}
