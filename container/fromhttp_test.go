package container_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
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

// A mounted net/http handler sees the request's trailers as net/http's
// server shows them: the declared names in r.Trailer from the start (the
// Trailer field taken out of the header), their values once the body was
// read to its end. ToHTTPRequest left r.Trailer nil, on every protocol.
func TestMountRequestTrailers(t *testing.T) {
	type seen struct{ before, after, field string }
	got := make(chan seen, 1)
	modes.Run(t, func(c *container.Container) {
		c.Handle("/upload", api.FromHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var s seen
			for k := range r.Trailer {
				s.before += k
			}
			io.Copy(io.Discard, r.Body)
			s.after, s.field = r.Trailer.Get("X-Checksum"), r.Header.Get("Trailer")
			got <- s
		})))
	}, func(t *testing.T, s *modes.Server) {
		req, _ := http.NewRequest("POST", s.URL+"/upload", nil)
		req.ContentLength = -1
		req.Trailer = http.Header{"X-Checksum": nil}
		body := &trailerSetter{r: strings.NewReader("data"), set: func() { req.Trailer.Set("X-Checksum", "abc") }}
		req.Body = body
		resp, err := s.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if g := <-got; g.before != "X-Checksum" || g.after != "abc" || g.field != "" {
			t.Errorf("trailer names before the body %q, value after %q, Trailer field left in the header %q; want X-Checksum, abc, none", g.before, g.after, g.field)
		}
	})
}

// trailerSetter is a request body that sets its request's trailer value
// when it reaches its end, as a client computing a checksum would.
type trailerSetter struct {
	r   io.Reader
	set func()
}

func (b *trailerSetter) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.set()
	}
	return n, err
}

func (b *trailerSetter) Close() error { return nil }
