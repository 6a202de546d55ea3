package telemetry_test

import (
	"io"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestForwardWithFilters: a forward that runs the filters again, inside
// the request's one dispatch, is not a re-dispatch: its span gets no
// wharf.resume event, and the forward's target sees the request's span.
func TestForwardWithFilters(t *testing.T) {
	s := newSDK(t, nil)
	c := container.New(modes.Options(modes.H1)...)
	c.Filter("/*", s.f)
	var outer, inner string
	c.HandleFunc("/a", func(w api.Response, r *api.Request) error {
		outer = spanID(r)
		return dispatcher.Forward(w, r, "/b", dispatcher.WithFilters())
	})
	c.HandleFunc("/b", func(w api.Response, r *api.Request) error {
		inner = spanID(r)
		_, err := w.WriteString("b")
		return err
	})
	srv := modes.Start(t, modes.H1, c)
	resp, err := srv.Client.Get(srv.URL + "/a")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	wharftest.WaitFor(t, "the span", func() bool { return len(s.spans.Ended()) == 1 })
	sp := s.spans.Ended()[0]
	for _, e := range sp.Events() {
		t.Errorf("span %s has event %s for a forward", sp.Name(), e.Name)
	}
	if outer != inner || inner != sp.SpanContext().SpanID().String() {
		t.Errorf("handler spans %s, %s; request span %s", outer, inner, sp.SpanContext().SpanID())
	}
}

func spanID(r *api.Request) string {
	return trace.SpanContextFromContext(r.Context()).SpanID().String()
}
