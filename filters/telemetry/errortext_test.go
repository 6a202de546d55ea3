package telemetry_test

import (
	"errors"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// An error's text can quote the request (a path parameter, a panic value
// made from it): the exception event carries it cleaned of bytes that are
// not UTF-8, which would make an OTLP exporter drop the whole batch, and
// keeps the type the SDK's RecordError gives it; valid text goes as it is.
func TestErrorTextIsUTF8(t *testing.T) {
	for _, tc := range []struct {
		name            string
		err             error
		wantMsg, wantTy string
	}{
		{"valid", errors.New("no user ab"), "no user ab", "*errors.errorString"},
		{"invalid", fmt.Errorf("no user %s", "\xffab"), "no user \uFFFDab", "*errors.errorString"},
		{"invalid, wrapped", fmt.Errorf("no user %s: %w", "\xffab", errors.New("gone")), "no user \uFFFDab: gone", "*fmt.wrapError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSDK(t, nil)
			h := api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error { return tc.err }), s.f)
			wharftest.Run(h, wharftest.Head("GET", "/"))
			evs := s.spans.Ended()[0].Events()
			var msg, ty string
			for _, ev := range evs {
				if ev.Name == "exception" {
					msg = attr(ev.Attributes, "exception.message").AsString()
					ty = attr(ev.Attributes, "exception.type").AsString()
				}
			}
			if msg != tc.wantMsg || !utf8.ValidString(msg) {
				t.Errorf("exception.message %q, want %q", msg, tc.wantMsg)
			}
			if ty != tc.wantTy {
				t.Errorf("exception.type %q, want %q (as the SDK's RecordError names it)", ty, tc.wantTy)
			}
		})
	}
}
