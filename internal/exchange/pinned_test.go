package exchange_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// finishProbe is a Channel whose Finish writes through the Response the
// first dispatch kept (stale) and through its own.
type finishProbe struct {
	*wharftest.Channel
	kept                api.Response
	staleErr, finishErr error
}

func (c *finishProbe) Dispatch(w api.Response, r *api.Request) error {
	c.kept = w
	return c.Channel.Dispatch(w, r)
}

func (c *finishProbe) Finish(w api.Response, err error) exchange.End {
	_, c.staleErr = c.kept.WriteString("stale")
	_, c.finishErr = w.WriteString("final")
	return c.Channel.Finish(w, err)
}

// The first task's Response and the finishing phase's are the exchange
// itself under fixed tokens: each works only in its own phase, a second
// task's Response only in its task, and none of them after its phase.
func TestFixedTokenResponses(t *testing.T) {
	var second api.Response
	h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		ex := exchange.From(r)
		if exchange.KindOf(r) == exchange.DispatchInitial {
			return ex.Suspend(exchange.ModeContinuation)
		}
		second = w
		if w == nil {
			return errors.New("no Response")
		}
		return nil
	})
	ch := &finishProbe{Channel: &wharftest.Channel{Handler: h}}
	rec := wharftest.NewRecorder()
	ex := exchange.NewExchange(ch, rec, nil)
	ex.Start(api.NewRequest(context.Background(), wharftest.Head("GET", "/"), ex))
	first := ch.kept
	if _, err := first.WriteString("x"); !errors.Is(err, api.ErrNotSerialized) {
		t.Errorf("first task's Response after it returned: %v, want ErrNotSerialized", err)
	}
	// Nothing can change through it: a cookie set through it says so, where
	// it was added to a detached header and lost with a nil error.
	if err := api.SetCookie(first, &http.Cookie{Name: "a", Value: "b"}); !errors.Is(err, api.ErrCommitted) || !first.Committed() {
		t.Errorf("SetCookie through the first task's Response after it returned: %v (committed %v), want ErrCommitted", err, first.Committed())
	}
	ex.Resume()
	<-ex.Done()
	if second == first {
		t.Error("the resumed dispatch got the first task's Response")
	}
	if !errors.Is(ch.staleErr, api.ErrNotSerialized) {
		t.Errorf("a dispatch's Response written during Finish: %v, want ErrNotSerialized", ch.staleErr)
	}
	if ch.finishErr != nil {
		t.Errorf("Finish's own Response: %v", ch.finishErr)
	}
	if _, err := second.WriteString("late"); !errors.Is(err, api.ErrNotSerialized) {
		t.Errorf("a task's Response after completion: %v, want ErrNotSerialized", err)
	}
	if got := rec.Body(); got != "final" {
		t.Errorf("body %q, want %q", got, "final")
	}
}
