package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
)

// listenedExchange is an Exchange whose body a ReadListener reads: the
// optional interface Request.Body asks, as package async's exchanges
// have it.
type listenedExchange struct {
	base     *api.Request
	listened io.Reader
}

func (x *listenedExchange) Request() *api.Request   { return x.base }
func (x *listenedExchange) ListenedBody() io.Reader { return x.listened }

// valueBody is a body given by value whose type == cannot compare.
type valueBody struct{ b []byte }

func (valueBody) Read([]byte) (int, error) { return 0, io.EOF }
func (valueBody) Close() error             { return nil }

// Once a ReadListener reads the body, Body refuses a blocking read of it
// (an error wrapping ErrWrongState that names the listener), for every
// Request of the exchange whose body is the exchange's or the one the
// listener reads; a body given after (WithBody) reads as usual, and a
// body of a type == cannot compare is told apart without a panic. Body
// allocates nothing either way.
func TestBodyOfListenedExchange(t *testing.T) {
	x := &listenedExchange{}
	head := &api.RequestHead{Method: "POST", Path: "/", Target: "/", Header: api.NewHeader(http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}), Body: io.NopCloser(strings.NewReader("a=1"))}
	base := api.NewRequest(context.Background(), head, x)
	x.base = base
	wrapped := base.WithBody(io.NopCloser(strings.NewReader("wrapped")))
	x.listened = wrapped.Body() // the listener set on a filter's wrapped body

	if n := testing.AllocsPerRun(100, func() { _ = base.Body() }); n != 0 {
		t.Errorf("Body of a listened body: %v allocations, want 0", n)
	}
	for _, tt := range []struct {
		name    string
		r       *api.Request
		refused bool
	}{
		{"the exchange's body", base, true},
		{"a derivation's", base.WithAttribute("k", "v"), true},
		{"the body the listener reads", wrapped, true},
		{"a body given after", base.WithBody(io.NopCloser(strings.NewReader("later"))), false},
	} {
		b, err := io.ReadAll(tt.r.Body())
		refused := errors.Is(err, api.ErrWrongState) && strings.Contains(err.Error(), "ReadListener")
		if refused != tt.refused {
			t.Errorf("%s: read %q, %v; refused %v, want %v", tt.name, b, err, refused, tt.refused)
		}
	}
	if _, err := base.PostForm(); !errors.Is(err, api.ErrWrongState) {
		t.Errorf("PostForm of the listened body: %v, want ErrWrongState", err)
	}
	// The refusal took no parse: the one made from the listener's bytes
	// is the exchange's form.
	v, err := base.WithBody(io.NopCloser(strings.NewReader("a=2"))).PostForm()
	if err != nil || v.Get("a") != "2" {
		t.Errorf("PostForm of the bytes read: %v, %v; want a=2", v, err)
	}
	if got := base.FormValue("a"); got != "2" {
		t.Errorf("FormValue after: %q, want the parse's 2", got)
	}

	// A listener reading a body of a type == cannot compare, and a
	// Request given another of that type: two bodies, no panic.
	x.listened = valueBody{b: []byte("listened")}
	if _, err := base.WithBody(valueBody{b: []byte("later")}).Body().Read(nil); err != io.EOF {
		t.Errorf("a body of a type == cannot compare: %v, want its own io.EOF", err)
	}

	x.listened = nil
	if n := testing.AllocsPerRun(100, func() { _ = base.Body() }); n != 0 {
		t.Errorf("Body: %v allocations, want 0", n)
	}
	if b, err := io.ReadAll(base.Body()); err != nil || string(b) != "" && string(b) != "a=1" {
		t.Errorf("Body with no listener: %q, %v", b, err)
	}
}
