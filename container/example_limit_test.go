package container_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
)

// A container that runs one handler at a time and lets one more request
// wait for it: a third request is answered 503 at once, and the waiting
// one runs when the first is done. (Servers keep the defaults, or raise
// them: 5,000 handlers and 50,000 waiting.)
func ExampleWithMaxHandlers() {
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	c := container.New(container.WithMaxHandlers(1), container.WithHandlerQueue(1))
	defer c.Close()
	c.HandleFunc("/report", func(w api.Response, r *api.Request) error {
		started <- struct{}{}
		<-release // a slow report
		_, err := io.WriteString(w, "report ready")
		return err
	})
	get := func(done chan<- *httptest.ResponseRecorder) {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", "/report", nil))
		done <- rec
	}

	first, second, third := make(chan *httptest.ResponseRecorder, 1), make(chan *httptest.ResponseRecorder, 1), make(chan *httptest.ResponseRecorder, 1)
	go get(first)
	<-started // the first runs
	go get(second)
	for c.Stats().Queued == 0 { // the second waits
		time.Sleep(time.Millisecond)
	}
	go get(third)
	rec := <-third
	fmt.Println("third:", rec.Code, "Retry-After:", rec.Header().Get("Retry-After"))

	close(release)
	fmt.Println("first:", (<-first).Body.String())
	fmt.Println("second:", (<-second).Body.String())
	// Output:
	// third: 503 Retry-After: 1
	// first: report ready
	// second: report ready
}
