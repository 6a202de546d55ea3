package container_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
)

// A net/http handler's Write that its response refuses (a body on a 304,
// bytes past the Content-Length it set) fails that Write alone, as on
// net/http's server: the handler hears of it, and the response goes out
// with the status and body it declared. FromHTTP returned the error as
// the handler's, and the container answered 500 in its place.
func TestFromHTTPRefusedWriteIsTheHandlers(t *testing.T) {
	c := container.New()
	errs := make(chan error, 1)
	c.Handle("/304", api.FromHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.WriteHeader(http.StatusNotModified)
		_, err := io.WriteString(w, "not modified")
		errs <- err
	})))
	c.Handle("/length", api.FromHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
		_, err := io.WriteString(w, ", world")
		errs <- err
	})))
	for _, tt := range []struct {
		path   string
		status int
		body   string
		err    error
	}{
		{"/304", http.StatusNotModified, "", http.ErrBodyNotAllowed},
		{"/length", http.StatusOK, "hello", http.ErrContentLength},
	} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if err := <-errs; !errors.Is(err, tt.err) {
			t.Errorf("%s: the handler's Write returned %v, want %v", tt.path, err, tt.err)
		}
		if rec.Code != tt.status || rec.Body.String() != tt.body {
			t.Errorf("%s: got %d %q, want %d %q", tt.path, rec.Code, rec.Body.String(), tt.status, tt.body)
		}
	}
}
