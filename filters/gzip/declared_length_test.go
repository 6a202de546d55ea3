package gzip_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
)

// A handler that declares a Content-Length and then writes fewer bytes
// (a copy that failed part way) sends a cut body: uncompressed, the
// container sends the declared length and closes short of it, and the
// client sees the body end early. Compressed, the filter takes the length
// off, and it ended the gzip stream well formed: the cut body passed for
// whole, to the client and to every cache on the way. One that writes
// more than it declared is refused the write, as the container refuses
// it. An exact length is compressed as before.
func TestDeclaredLengthHeld(t *testing.T) {
	tests := []struct {
		name, ae         string
		declared, writes int
		wantCut          bool // the client sees the body end early
		wantRefused      bool // the handler's write past the length fails
		wantBody         int  // uncompressed bytes the client reads
	}{
		{name: "short, compressed", ae: "gzip", declared: 5000, writes: 2700, wantCut: true},
		{name: "short, identity", ae: "identity", declared: 5000, writes: 2700, wantCut: true},
		{name: "exact, compressed", ae: "gzip", declared: 2700, writes: 2700, wantBody: 2700},
		// The write refused whole leaves the body short of its length.
		{name: "long, compressed", ae: "gzip", declared: 2000, writes: 2700, wantRefused: true, wantCut: true},
		{name: "long, identity", ae: "identity", declared: 2000, writes: 2700, wantRefused: true, wantCut: true},
	}
	refused := make(chan bool, 1)
	build := func(c *container.Container) {
		c.Filter("/*", gzip.New(gzip.Config{}))
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			declared, _ := strconv.Atoi(r.QueryValue("declared"))
			writes, _ := strconv.Atoi(r.QueryValue("writes"))
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", strconv.Itoa(declared))
			_, err := w.WriteString(text[:writes])
			select {
			case refused <- errors.Is(err, http.ErrContentLength):
			default: // a failed case did not read its own
			}
			if err != nil && errors.Is(err, http.ErrContentLength) {
				return nil // the handler heard of it; the response holds what was declared
			}
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				select {
				case <-refused:
				default:
				}
				req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+"/?declared="+strconv.Itoa(tt.declared)+"&writes="+strconv.Itoa(tt.writes), nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Accept-Encoding", tt.ae)
				resp, err := s.Client.Do(req)
				if err != nil {
					if tt.wantCut {
						return // cut before the head could be read
					}
					t.Fatal(err)
				}
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if got := <-refused; got != tt.wantRefused {
					t.Errorf("write refused %v, want %v", got, tt.wantRefused)
				}
				if tt.wantCut {
					if rerr == nil {
						t.Fatalf("the cut body (%d of %d bytes) came whole: %d bytes, header %v", tt.writes, tt.declared, len(b), resp.Header)
					}
					return
				}
				if rerr != nil {
					t.Fatalf("reading the body: %v", rerr)
				}
				if resp.Header.Get("Content-Encoding") == "gzip" {
					b = []byte(gunzip(t, b))
				}
				if len(b) != tt.wantBody {
					t.Errorf("body of %d bytes, want %d", len(b), tt.wantBody)
				}
			})
		}
	})
}

// A body below MinSize, which the filter holds back until the response
// ends, is held to the Content-Length its handler declared as the
// container holds it: a write past the length is refused whole, with an
// error wrapping http.ErrContentLength, and the response goes on with the
// body declared. The filter took such a write, then had the container
// refuse the whole body it held when the response ended, so that the
// handler heard of nothing and the client got a 500 in place of the body
// it declared.
func TestDeclaredLengthHeldBelowMinSize(t *testing.T) {
	seen := make(chan string, 1)
	build := func(c *container.Container) {
		c.Filter("/*", gzip.New(gzip.Config{}))
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "5")
			write := w.Write
			if r.QueryValue("how") == "string" {
				write = func(p []byte) (int, error) { return w.WriteString(string(p)) }
			}
			_, err1 := write([]byte("hello"))
			_, err2 := write([]byte(" world"))
			seen <- fmt.Sprintf("%v %v", err1, errors.Is(err2, http.ErrContentLength))
			return nil // the handler heard of it; the response holds what was declared
		})
	}
	tests := []struct {
		method, how, ae string
		wantBody        string
	}{
		{"GET", "bytes", "gzip", "hello"},
		{"GET", "string", "gzip", "hello"},
		{"GET", "bytes", "identity", "hello"},
		{"HEAD", "string", "gzip", ""},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, s.URL+"/?how="+tt.how, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept-Encoding", tt.ae)
			resp, b := s.Do(t, req)
			if got := <-seen; got != "<nil> true" {
				t.Errorf("%s %s, %s: the handler's writes returned %s, want <nil> and the second refused (true)", tt.method, tt.how, tt.ae, got)
			}
			if resp.StatusCode != http.StatusOK || string(b) != tt.wantBody || resp.Header.Get("Content-Length") != "5" {
				t.Errorf("%s %s, %s: %d %q with Content-Length %q, want 200 %q with 5", tt.method, tt.how, tt.ae, resp.StatusCode, b, resp.Header.Get("Content-Length"), tt.wantBody)
			}
		}
	})
}
