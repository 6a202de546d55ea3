package sse_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
)

// heldLog is a MemoryLog whose Since, once entered, waits until the test
// lets it go: the stream is subscribed and opening meanwhile.
type heldLog struct {
	*sse.MemoryLog
	entered, release chan struct{}
}

func (l *heldLog) Since(ctx context.Context, topic string, after uint64) ([]sse.Event, uint64, bool, error) {
	close(l.entered)
	<-l.release
	return l.MemoryLog.Since(ctx, topic, after)
}

// A stream whose queue passes MaxQueue while its replay is read (a busy
// topic, a log read over the network) has sent nothing yet. It is ended
// and counted as a slow stream is, but as an event stream that ends,
// which its EventSource retries, not as a 503, on which an EventSource
// gives up for good.
func TestOverflowWhileOpeningIsAStream(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.H2} {
		t.Run(string(m), func(t *testing.T) {
			l := &heldLog{MemoryLog: sse.NewMemoryLog(0, sse.WithFirstID(1)),
				entered: make(chan struct{}), release: make(chan struct{})}
			b := newBroker(t, sse.Config{Log: l, MaxQueue: 2, Heartbeat: -1})
			b.Publish("t", sse.Event{Data: "before"})
			c := container.New(modes.Options(m)...)
			route(b)(c)
			s := modes.Start(t, m, c)

			type answer struct {
				resp *http.Response
				err  error
			}
			got := make(chan answer, 1)
			go func() {
				req, _ := http.NewRequest("GET", s.URL+"/events/t", nil)
				req.Header.Set("Last-Event-ID", "1")
				resp, err := s.Client.Do(req)
				got <- answer{resp, err}
			}()
			<-l.entered
			for range 3 { // past MaxQueue while the stream opens
				if err := b.Publish("t", sse.Event{Data: "during"}); err != nil {
					t.Fatal(err)
				}
			}
			close(l.release)
			a := <-got
			if a.err != nil {
				t.Fatal(a.err)
			}
			io.Copy(io.Discard, a.resp.Body)
			a.resp.Body.Close()
			if a.resp.StatusCode != http.StatusOK || !strings.HasPrefix(a.resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Errorf("a stream ended while opening: %d %q, want 200 text/event-stream, which an EventSource retries",
					a.resp.StatusCode, a.resp.Header.Get("Content-Type"))
			}
			wharftest.WaitFor(t, "no stream", func() bool { return b.Stats().Streams == 0 })
			if st := b.Stats(); st.Slow != 1 {
				t.Errorf("stats %+v, want the stream counted slow", st)
			}
		})
	}
}

// A live stream whose queue passes MaxQueue before its head went out (a
// busy topic, whose events come before the stream's write task runs or
// the Output's flush does, or, as here, a handler that publishes after
// Serve, in its dispatch, which the task waits for) has sent nothing
// either: it ends as an event stream that ends too. It once failed, and
// its client got a 503, on which an EventSource gives up for good.
func TestOverflowBeforeFirstWriteIsAStream(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.H2, modes.H3} {
		t.Run(string(m), func(t *testing.T) {
			b := newBroker(t, sse.Config{MaxQueue: 2, Heartbeat: -1})
			c := container.New(modes.Options(m)...)
			c.HandleFunc("GET /events/{topic}", func(w api.Response, r *api.Request) error {
				err := b.Serve(w, r, r.PathParam("topic"))
				for range 3 { // past MaxQueue before the stream's write task runs
					b.Publish(r.PathParam("topic"), sse.Event{Data: "joined"})
				}
				return err
			})
			s := modes.Start(t, m, c)
			resp, err := s.Client.Get(s.URL + "/events/t")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Errorf("a stream ended before its head went out: %d %q, want 200 text/event-stream, which an EventSource retries",
					resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			wharftest.WaitFor(t, "no stream", func() bool { return b.Stats().Streams == 0 })
			if st := b.Stats(); st.Slow != 1 {
				t.Errorf("stats %+v, want the stream counted slow", st)
			}
		})
	}
}
