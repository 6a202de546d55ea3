package dos_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request over MaxRequestTime: its handler's context ends with
// ErrMaxRequestTime, and a chain that fails after it is answered 503, as
// the server's limit, not 500 as the handler's failure; a status the chain
// chose, an answer it wrote, and a failure before the deadline stay as
// they are.
func TestMaxRequestTimeAnswer(t *testing.T) {
	errBackend := errors.New("backend down")
	tests := []struct {
		name    string
		handler func(w api.Response, r *api.Request) error
		want    int
	}{
		{"returns the context's error", func(w api.Response, r *api.Request) error {
			<-r.Context().Done()
			return r.Context().Err()
		}, http.StatusServiceUnavailable},
		{"returns it wrapped", func(w api.Response, r *api.Request) error {
			<-r.Context().Done()
			return fmt.Errorf("query: %w", context.Cause(r.Context()))
		}, http.StatusServiceUnavailable},
		{"returns a status of its own", func(w api.Response, r *api.Request) error {
			<-r.Context().Done()
			return &api.StatusError{Code: http.StatusGatewayTimeout, Err: r.Context().Err()}
		}, http.StatusGatewayTimeout},
		{"answers after the deadline", func(w api.Response, r *api.Request) error {
			<-r.Context().Done()
			_, err := w.WriteString("late")
			return err
		}, http.StatusOK},
		{"fails before the deadline", func(w api.Response, r *api.Request) error {
			return errBackend
		}, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFilter(t, dos.Config{MaxRequestTime: 2 * time.Second})
				h := api.Compose(api.HandlerFunc(tt.handler), f)
				if x := request(h, "192.0.2.1:1"); x.Out.Status() != tt.want {
					t.Errorf("%d, want %d", x.Out.Status(), tt.want)
				}
			})
		})
	}
	// Without a container the filter's caller gets the error to answer.
	f := newFilter(t, dos.Config{MaxRequestTime: time.Millisecond})
	head := wharftest.Head("GET", "/")
	head.Conn = &api.ConnInfo{RemoteAddr: "192.0.2.1:1"}
	err := f.Filter(nil, api.NewRequest(context.Background(), head, nil), api.ChainFunc(func(w api.Response, r *api.Request) error {
		<-r.Context().Done()
		return r.Context().Err()
	}))
	var se *api.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusServiceUnavailable || !errors.Is(err, dos.ErrMaxRequestTime) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("without a container: %v, want a 503 that is ErrMaxRequestTime and the context's error", err)
	}
}
