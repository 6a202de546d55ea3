package gzip_test

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
)

// A response whose status becomes 204 or 304 before its head is sent has
// no body, whatever was written before: the container drops the bytes it
// holds and refuses the next (http.ErrBodyNotAllowed). So behind the
// filter once compression began (a body past MinSize, its compressed
// bytes still held): the filter took the writes after the status changed,
// and at the end wrote the rest of the gzip stream, which the container
// refused, so that the client got a 500 in place of the 204 or 304.
func TestBodilessStatusAfterCompressionBegan(t *testing.T) {
	seen := make(chan string, 1)
	build := func(c *container.Container) {
		c.Filter("/*", gzip.New(gzip.Config{}))
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			code, _ := strconv.Atoi(r.QueryValue("code"))
			w.Header().Set("Content-Type", "text/plain")
			if r.QueryValue("then") == "declared" {
				// More than is written: a 204 or 304 holds none of it.
				w.Header().Set("Content-Length", strconv.Itoa(len(text)+100))
			}
			_, err1 := w.WriteString(text) // past MinSize: compressed
			err2 := w.SetStatus(code)
			var err3 error
			if r.QueryValue("then") == "write" {
				_, err3 = w.Write([]byte("more"))
			}
			if r.QueryValue("then") == "flush" {
				err3 = w.Flush()
			}
			seen <- fmt.Sprint(err1, err2, errors.Is(err3, http.ErrBodyNotAllowed))
			return nil
		})
	}
	tests := []struct {
		code   int
		then   string
		method string
	}{
		{http.StatusNoContent, "", "GET"},
		{http.StatusNotModified, "", "GET"},
		{http.StatusNoContent, "write", "GET"},
		{http.StatusNotModified, "write", "GET"},
		{http.StatusNotModified, "flush", "GET"},
		{http.StatusNotModified, "declared", "GET"},
		{http.StatusNoContent, "", "HEAD"},
		{http.StatusNotModified, "", "HEAD"},
		// The container refuses a HEAD's body on a 204 or 304 as a GET's.
		{http.StatusNoContent, "write", "HEAD"},
		{http.StatusNotModified, "write", "HEAD"},
		{http.StatusNotModified, "flush", "HEAD"},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			for _, ae := range []string{"gzip", "identity"} {
				method := tt.method
				name := fmt.Sprintf("%s, %d then %q, %s", method, tt.code, tt.then, ae)
				req, err := http.NewRequestWithContext(t.Context(), method, s.URL+"/?code="+strconv.Itoa(tt.code)+"&then="+tt.then, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Accept-Encoding", ae)
				resp, b := s.Do(t, req)
				got := <-seen
				if resp.StatusCode != tt.code || len(b) != 0 || resp.Header.Get("Content-Encoding") != "" {
					t.Errorf("%s: %d with %d body bytes and Content-Encoding %q, want %d and none", name, resp.StatusCode, len(b), resp.Header.Get("Content-Encoding"), tt.code)
				}
				if want := fmt.Sprint(nil, nil, tt.then == "write"); got != want {
					t.Errorf("%s: the handler saw %s, want %s: a write after the status refused (ErrBodyNotAllowed), no other error", name, got, want)
				}
			}
		}
	})
}
