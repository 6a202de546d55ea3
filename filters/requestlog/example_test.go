package requestlog_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/requestlog"
)

func Example() {
	// Drop the time, duration and peer address so that the output is stable.
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "duration", "remote":
				return slog.Attr{}
			}
			return a
		},
	}))

	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", requestlog.New(requestlog.Config{Logger: logger}))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprint(w, "hello")
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	for _, p := range []string{"/hello", "/nowhere"} {
		resp, err := http.Get("http://" + l.Addr().String() + p)
		if err != nil {
			panic(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Shutdown waits for the records, which are written as the requests
	// complete, in no set order: sort them for a stable output.
	c.Shutdown(context.Background())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// level=INFO msg=request method=GET path=/hello status=200 bytes=5 end=answered proto=HTTP/1.1
	// level=INFO msg=request method=GET path=/nowhere status=404 bytes=14 end=answered proto=HTTP/1.1 error="404 Not Found"
}

// The NCSA combined log format, as Apache's and Jetty's access logs write
// it. A fixed clock keeps the output stable.
func Example_combined() {
	start := time.Date(2000, time.October, 10, 13, 55, 36, 0, time.FixedZone("", -7*3600))
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", requestlog.New(requestlog.Config{
		Format: requestlog.FormatCombined,
		Writer: os.Stdout,
		Now:    func() time.Time { return start },
	}))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprint(w, "hello")
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/hello?lang=en", nil)
	req.Header.Set("Referer", "http://example.com/start")
	req.Header.Set("User-Agent", "example/1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.Shutdown(context.Background()) // waits for the line
	// Output:
	// 127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /hello?lang=en HTTP/1.1" 200 5 "http://example.com/start" "example/1.0"
}

// With Passes, each pass of a request through the chain has a record of
// its own: here a long poll that suspends, then answers when its timeout
// re-dispatches it, before the record of the whole request.
func Example_passes() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "duration", "remote", "proto":
				return slog.Attr{}
			}
			return a
		},
	}))
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", requestlog.New(requestlog.Config{Logger: logger, Passes: true}))
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			cont.SetTimeout(10 * time.Millisecond)
			return cont.Suspend()
		}
		_, err := w.WriteString("no news")
		return err
	})

	c.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/poll", nil))
	c.Shutdown(context.Background()) // waits for the last record
	// Output:
	// level=INFO msg="request pass" method=GET path=/poll status=200 bytes=0 dispatch=initial suspended=true
	// level=INFO msg="request pass" method=GET path=/poll status=200 bytes=7 dispatch=expired suspended=false
	// level=INFO msg=request method=GET path=/poll status=200 bytes=7 end=expired
}
