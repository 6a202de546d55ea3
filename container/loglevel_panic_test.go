package container_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

type ctxMark struct{}

// A panic's record names the request, as WithLogger documents for every
// 5xx it logs: its method and path, and the request's context, so that a
// handler of the program's (a trace or request ID read from the context)
// can tie the stack to the request. Over net/http (ServeHTTP) the context
// carries the values of the middleware around the container.
func TestPanicRecordNamesTheRequest(t *testing.T) {
	var marked atomic.Bool
	logs, logger := wharftest.NewLogRecorder()
	c := container.New(container.WithLogger(ctxLogger(logger.Handler(), &marked)))
	c.HandleFunc("GET /items/{id}", func(api.Response, *api.Request) error { panic("boom") })
	mark := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxMark{}, true)))
		})
	}
	addr := wharftest.Listen(t, &http.Server{Handler: mark(c)})
	resp, err := http.Get("http://" + addr + "/items/7")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	recs := logs.Records()
	if len(recs) != 1 {
		t.Fatalf("records %+v, want one", recs)
	}
	a := recs[0].Attrs
	if a["method"].String() != "GET" || a["path"].String() != "/items/7" || a["stack"].String() == "" || !marked.Load() {
		t.Errorf("panic record %q %v (request's context: %v), want method, path, stack and the context", recs[0].Message, a, marked.Load())
	}
}

// ctxLogger notes in marked whether a record came with a context ctxMark is in.
func ctxLogger(h slog.Handler, marked *atomic.Bool) *slog.Logger {
	return slog.New(markHandler{h, marked})
}

type markHandler struct {
	slog.Handler
	marked *atomic.Bool
}

func (h markHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx.Value(ctxMark{}) != nil {
		h.marked.Store(true)
	}
	return h.Handler.Handle(ctx, r)
}
