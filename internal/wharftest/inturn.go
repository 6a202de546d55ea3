package wharftest

import (
	"context"
	"io"
	"net/http"
	"testing"
)

// Want is one request of GetInTurn: the path it gets, the status its
// answer must have and, unless it is "", the body.
type Want struct {
	Path   string
	Status int
	Body   string
}

// GetInTurn gets base+w.Path for each w of wants through c, one after the
// other and all within Patience, and fails the test at the first answer
// that is not as wanted. After a request that misbehaved (its handler or
// its error page ended its goroutine, say), the requests that follow show
// that the server still serves: a server that lost its goroutine hangs
// them until Patience runs out, and the test fails then rather than at
// its own deadline.
func GetInTurn(t testing.TB, c *http.Client, base string, wants ...Want) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	for _, want := range wants {
		req, err := http.NewRequestWithContext(ctx, "GET", base+want.Path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", want.Path, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: reading the body: %v", want.Path, err)
		}
		if resp.StatusCode != want.Status || want.Body != "" && string(body) != want.Body {
			t.Fatalf("GET %s: %d %q, want %d %q", want.Path, resp.StatusCode, body, want.Status, want.Body)
		}
	}
}
