package connector_test

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/wharf-go/wharf/connector"
)

// Many keep-alive clients mixing plain and suspended requests: every
// response arrives, intact, and the connections are reused.
func TestConcurrentKeepAlive(t *testing.T) {
	eachConnector(t, connector.Config{}, testConcurrentKeepAlive)
}

func testConcurrentKeepAlive(t *testing.T, cfg connector.Config) {
	addr, c := serve(t, cfg)
	const clients, requests = 16, 40
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range requests {
				path, want := "/hello", "hello"
				if (i+j)%4 == 0 {
					path, want = "/suspend", "expired"
				}
				resp, err := client.Get("http://" + addr + path)
				if err != nil {
					errs <- err
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != want {
					errs <- fmt.Errorf("client %d request %d: %q %v", i, j, b, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := c.Stats()
	if st.Requests != clients*requests {
		t.Errorf("%d requests served, want %d", st.Requests, clients*requests)
	}
	if st.Connections.Accepted > 2*clients {
		t.Errorf("%d connections for %d keep-alive clients", st.Connections.Accepted, clients)
	}
}
