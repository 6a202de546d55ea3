package telemetry_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestRedispatchContext: the pass after a resume or a timeout sees, as
// the first one does, the baggage the client propagated and the request's
// span.
func TestRedispatchContext(t *testing.T) {
	for _, wake := range []string{"resume", "expire"} {
		t.Run(wake, func(t *testing.T) {
			s := newSDK(t, nil)
			c := container.New(modes.Options(modes.H1)...)
			c.Filter("/*", s.f)
			type pass struct {
				baggage string
				span    trace.SpanID
			}
			passes := make(chan pass, 2)
			suspended := make(chan *exchange.Exchange, 1)
			c.HandleFunc("/wait", suspendOnce(func(r *api.Request) {
				passes <- pass{baggage.FromContext(r.Context()).Member("k").Value(), trace.SpanContextFromContext(r.Context()).SpanID()}
			}, suspended))
			srv := modes.Start(t, modes.H1, c)
			done := make(chan error, 1)
			go func() {
				req, _ := http.NewRequest("GET", srv.URL+"/wait", nil)
				req.Header.Set("Baggage", "k=v")
				resp, err := srv.Client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				done <- err
			}()
			x := <-suspended
			var err error
			if wake == "resume" {
				err = x.Resume()
			} else {
				err = x.Expire()
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			first, second := <-passes, <-passes
			if first.baggage != "v" || second.baggage != "v" {
				t.Errorf("baggage k: %q on the first pass, %q after %s; want v on both", first.baggage, second.baggage, wake)
			}
			if !first.span.IsValid() || second.span != first.span {
				t.Errorf("span %v on the first pass, %v after %s; want the same", first.span, second.span, wake)
			}
		})
	}
}

// suspendOnce is a handler that calls pass on every dispatch and suspends
// its initial one for an hour, sending its exchange on suspended for the
// test to resume or expire; a re-dispatch answers 200.
func suspendOnce(pass func(r *api.Request), suspended chan<- *exchange.Exchange) api.HandlerFunc {
	return func(w api.Response, r *api.Request) error {
		pass(r)
		cont := continuation.Of(r)
		if !cont.IsInitial() {
			return nil
		}
		cont.SetTimeout(time.Hour)
		if err := cont.Suspend(); err != nil {
			return err
		}
		suspended <- exchange.From(r)
		return nil
	}
}
