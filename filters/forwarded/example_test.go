package forwarded_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/forwarded"
)

func Example() {
	// A proxy on the same host, which terminates TLS and reports the
	// client in X-Forwarded-For and X-Forwarded-Proto.
	f, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"127.0.0.1", "::1"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.FilterFirst("/*", f) // before everything that reads the client's address
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "client %s over %s", r.RemoteAddr(), r.Scheme())
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/", nil)
	// What the proxy adds: a client's own X-Forwarded-For entries stay
	// on the left, where the filter does not look.
	req.Header.Set("X-Forwarded-For", "198.51.100.7, 192.0.2.1")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output:
	// client 192.0.2.1:0 over https
}

// A proxy that writes only the X-Forwarded fields passes on a Forwarded
// field its client wrote: read with the zero Header, which prefers
// Forwarded, it names the client's choice of address. Header says which
// kind the proxy writes, and the other is not read.
func ExampleHeader() {
	for _, h := range []forwarded.Header{forwarded.HeaderAny, forwarded.HeaderXForwarded} {
		f, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.7"}, Header: h})
		if err != nil {
			fmt.Println(err)
			return
		}
		c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
		c.FilterFirst("/*", f)
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			_, err := fmt.Fprintf(w, "client %s", r.RemoteAddr())
			return err
		})

		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "10.0.0.7:51000"                  // the proxy
		req.Header.Set("Forwarded", "for=203.0.113.66")    // forged by the client
		req.Header.Set("X-Forwarded-For", "198.51.100.23") // added by the proxy
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		fmt.Println(rec.Body)
		c.Shutdown(context.Background())
	}
	// Output:
	// client 203.0.113.66:0
	// client 198.51.100.23:0
}
