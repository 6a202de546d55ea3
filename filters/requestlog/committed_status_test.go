package requestlog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/requestlog"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestPassStatusCommitted: a handler that committed 200 and then
// failed: the client got 200, the pass record says so, as the completion
// record does.
func TestPassStatusCommitted(t *testing.T) {
	logs, logger := wharftest.NewLogRecorder()
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.WriteString("partial")
		w.Flush()
		return errors.New("boom after commit")
	}), requestlog.New(requestlog.Config{Logger: logger, Passes: true}))
	x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/p"), nil).Begin()
	<-x.Done()
	for _, rec := range logs.Records() {
		t.Logf("%s %v", rec.Message, rec.Attrs)
	}
	sent, _ := x.Chan.Sent()
	for _, rec := range logs.Records() {
		if st := rec.Attrs["status"].Int64(); st != int64(sent) {
			t.Errorf("%s: status %d, client got %d", rec.Message, st, sent)
		}
	}
}

// TestSingleStatusCommitted: the same without a container.
func TestSingleStatusCommitted(t *testing.T) {
	logs, logger := wharftest.NewLogRecorder()
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.WriteString("partial")
		w.Flush()
		return errors.New("boom after commit")
	}), requestlog.New(requestlog.Config{Logger: logger}))
	rec := wharftest.NewRecorder()
	h.Serve(rec, api.NewRequest(context.Background(), wharftest.Head("GET", "/p"), nil))
	if n := len(logs.Records()); n != 1 {
		t.Fatalf("%d records", n)
	}
	if st := logs.Records()[0].Attrs["status"].Int64(); st != int64(rec.Status()) {
		t.Errorf("status %d, client got %d", st, rec.Status())
	}
}
