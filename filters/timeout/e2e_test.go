package timeout_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

// An error answer keeps the header fields the chain set before failing, as
// it does without the filter: auth's 401 its WWW-Authenticate, static's 405
// its Allow.
func TestErrorKeepsHeaderFields(t *testing.T) {
	for _, withTimeout := range []bool{false, true} {
		c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
		if withTimeout {
			c.Filter("/*", timeout.New(timeout.Config{Timeout: 5 * time.Second}))
		}
		c.Filter("/private/*", auth.Basic(auth.BasicConfig{Realm: "r", Check: auth.Users(map[string]string{"u": "p"})}))
		files := fstest.MapFS{"x": {Data: []byte("x")}}
		c.Handle("/private/*", static.New(files, static.Config{}))
		c.Handle("/static/*", static.New(files, static.Config{}))
		addr := wharftest.Listen(t, c)
		tests := []struct {
			method, path string
			wantStatus   int
			field        string
		}{
			{"GET", "/private/x", http.StatusUnauthorized, "WWW-Authenticate"},
			{"POST", "/static/x", http.StatusMethodNotAllowed, "Allow"},
		}
		for _, tt := range tests {
			req, err := http.NewRequestWithContext(context.Background(), tt.method, "http://"+addr+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || resp.Header.Get(tt.field) == "" {
				t.Errorf("timeout filter %v, %s %s: %d, want %d with %s (header %v)",
					withTimeout, tt.method, tt.path, resp.StatusCode, tt.wantStatus, tt.field, resp.Header)
			}
		}
	}
}

// The buffer refuses what the container's Response refuses, with the same
// errors, so that a chain hears of a mistake the copy would drop: an
// interim status, a body on a 204 or 304, a body past its Content-Length.
// Each case runs with and without the filter, to the same end.
func TestBufferRefusesAsTheResponse(t *testing.T) {
	cases := []struct {
		name      string
		do        func(w api.Response) error // its error is the one checked
		after     string                     // written once do returned
		wantErr   error                      // errors.Is; nil: none
		statusErr bool                       // the error is an *api.StatusError
		wantCode  int
		wantBody  string
	}{
		{name: "interim status", do: func(w api.Response) error { return w.SetStatus(103) },
			statusErr: true, wantCode: 200},
		{name: "body on 204", do: func(w api.Response) error {
			w.SetStatus(204)
			_, err := w.Write([]byte("x"))
			return err
		}, wantErr: http.ErrBodyNotAllowed, wantCode: 204},
		{name: "string on 304", do: func(w api.Response) error {
			w.SetStatus(304)
			_, err := w.WriteString("x")
			return err
		}, wantErr: http.ErrBodyNotAllowed, wantCode: 304},
		{name: "past the length", do: func(w api.Response) error {
			w.Header().Set("Content-Length", "5")
			if _, err := w.Write([]byte("hel")); err != nil {
				return err
			}
			_, err := w.Write([]byte("lo!"))
			return err
		}, after: "lo", wantErr: http.ErrContentLength, wantCode: 200, wantBody: "hello"}, // the refused write took nothing
		{name: "up to the length", do: func(w api.Response) error {
			w.Header().Set("Content-Length", "5")
			_, err := w.Write([]byte("hello"))
			return err
		}, wantCode: 200, wantBody: "hello"},
	}
	for _, withTimeout := range []bool{false, true} {
		errs := make(chan error, 1)
		c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
		if withTimeout {
			c.Filter("/*", timeout.New(timeout.Config{Timeout: 5 * time.Second}))
		}
		c.HandleFunc("/{case}", func(w api.Response, r *api.Request) error {
			for _, tc := range cases {
				if tc.name == r.PathParam("case") {
					errs <- tc.do(w)
					_, err := w.WriteString(tc.after)
					return err
				}
			}
			return nil
		})
		addr := wharftest.Listen(t, c)
		for _, tc := range cases {
			resp, err := http.Get("http://" + addr + "/" + url.PathEscape(tc.name))
			if err != nil {
				t.Fatalf("timeout filter %v, %s: %v", withTimeout, tc.name, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := <-errs
			var se *api.StatusError
			if tc.wantErr == nil && !tc.statusErr && got != nil || tc.wantErr != nil && !errors.Is(got, tc.wantErr) || tc.statusErr && !errors.As(got, &se) {
				t.Errorf("timeout filter %v, %s: the call returned %v, want %v (a StatusError: %v)", withTimeout, tc.name, got, tc.wantErr, tc.statusErr)
			}
			if resp.StatusCode != tc.wantCode || string(body) != tc.wantBody {
				t.Errorf("timeout filter %v, %s: %d %q, want %d %q", withTimeout, tc.name, resp.StatusCode, body, tc.wantCode, tc.wantBody)
			}
		}
	}
}
