package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
)

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{errors.New("x"), 500},
		{api.Error(404, ""), 404},
		{fmt.Errorf("wrapped: %w", api.Error(403, "no")), 403},
		{&api.StatusError{Code: 42}, 500}, // not an error status
		// A StatusError with another Code is answered 500, whatever it wraps.
		{&api.StatusError{Code: http.StatusFound, Err: api.ErrShutdown}, 500},
		{&api.StatusError{Code: http.StatusOK, Err: api.ErrBodyTooLarge}, 500},
		{api.ErrBodyTooLarge, 413},
		{&http.MaxBytesError{Limit: 10}, 413},
		{fmt.Errorf("decoding: %w", &http.MaxBytesError{Limit: 10}), 413},
		{fmt.Errorf("x: %w", api.ErrShutdown), 503},
		{fmt.Errorf("x: %w", api.ErrShed), 503},
		{&api.StatusError{Code: http.StatusGatewayTimeout, Err: api.ErrShed}, 504},
		{&api.PanicError{Value: "p"}, 500},
		// A panic is answered 500 whatever its value: an error value is
		// unwrapped for errors.Is, not taken as the handler's answer.
		{&api.PanicError{Value: api.Error(404, "not found")}, 500},
		{&api.PanicError{Value: api.ErrBodyTooLarge}, 500},
		{fmt.Errorf("task: %w", &api.PanicError{Value: api.ErrShutdown}), 500},
	}
	for _, tt := range tests {
		if got := api.StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestPanicErrorUnwrapsAbort(t *testing.T) {
	if !errors.Is(&api.PanicError{Value: http.ErrAbortHandler}, http.ErrAbortHandler) {
		t.Fatal("PanicError must unwrap to an error panic value")
	}
	if errors.Unwrap(&api.PanicError{Value: 3}) != nil {
		t.Fatal("non-error panic value unwraps to nil")
	}
}

func TestStatusErrorMessage(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{api.Error(400, "bad name"), "400 Bad Request: bad name"},
		{api.Error(404, ""), "404 Not Found"},
		{api.Error(599, ""), "599 "},
		// A code that is no error status is answered 500 (StatusOf): the
		// text, which the log shows beside status=500, says why, where
		// "302 Found: /elsewhere" left the reader to guess.
		{api.Error(http.StatusFound, "/elsewhere"), "302 Found: /elsewhere (not an error status, 400..599: answered 500)"},
		{api.Error(http.StatusOK, ""), "200 OK (not an error status, 400..599: answered 500)"},
		{&api.StatusError{Code: 42}, "42 (not an error status, 400..599: answered 500)"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
