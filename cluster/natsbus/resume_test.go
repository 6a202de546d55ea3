package natsbus_test

import (
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/cluster"
	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// instance is one Wharf server of the cluster: GET /wait?topic=T suspends
// until an event on "wake.T" arrives from any instance (answering its
// data) or its timeout expires (answering "expired"); POST /wake?topic=T
// publishes that event.
type instance struct {
	c   *container.Container
	url string

	mu      sync.Mutex
	waiting map[string][]continuation.Continuation
}

type eventKey struct{}

func startInstance(t *testing.T, bus cluster.Bus, timeout time.Duration) *instance {
	t.Helper()
	in := &instance{waiting: make(map[string][]continuation.Continuation)}
	if _, err := bus.Subscribe("wake.*", func(subject string, data []byte) {
		topic := subject[len("wake."):]
		in.mu.Lock()
		conts := in.waiting[topic]
		delete(in.waiting, topic)
		in.mu.Unlock()
		for _, c := range conts {
			c.Resume(api.Attr{Key: eventKey{}, Value: string(data)}) // the data is ours only until we return
		}
	}); err != nil {
		t.Fatal(err)
	}
	in.c = container.New(container.WithLogger(wharftest.DiscardLogger()))
	in.c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		c := continuation.Of(r)
		switch {
		case c.IsResumed():
			_, err := w.WriteString(r.Attribute(eventKey{}).(string))
			return err
		case c.IsExpired():
			_, err := w.WriteString("expired")
			return err
		}
		c.SetTimeout(timeout)
		topic := r.QueryValue("topic")
		in.mu.Lock()
		defer in.mu.Unlock()
		if err := c.Suspend(); err != nil {
			return err
		}
		in.waiting[topic] = append(in.waiting[topic], c)
		return nil
	})
	in.c.HandleFunc("/wake", func(w api.Response, r *api.Request) error {
		if err := bus.Publish(r.Context(), "wake."+r.QueryValue("topic"), []byte("event for "+r.QueryValue("topic"))); err != nil {
			return api.Error(http.StatusServiceUnavailable, err.Error())
		}
		_, err := w.WriteString("published")
		return err
	})
	in.url = modes.Start(t, modes.H1, in.c).URL
	return in
}

// get fetches url and returns its status and body; any goroutine may
// call it.
func get(method, url string) (int, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return 0, "", err
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// waitAnswer gets url on a goroutine of its own; the channel receives the
// body, or the error.
func waitAnswer(url string) <-chan string {
	ch := make(chan string, 1)
	go func() {
		_, body, err := get("GET", url)
		if err != nil {
			body = "error: " + err.Error()
		}
		ch <- body
	}()
	return ch
}

func wake(t *testing.T, url string) int {
	t.Helper()
	code, _, err := get("POST", url)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// A request suspended on instance A is resumed by an event published on
// instance B. With the broker down, the event is reported lost and the
// request expires through its timeout, on time: nothing hangs.
func TestResumeAcrossInstances(t *testing.T) {
	broker := natstest.ForTest(t)
	a := startInstance(t, connect(t, broker.URL, natsbus.Config{}), time.Minute)
	busB := connect(t, broker.URL, natsbus.Config{})
	b := startInstance(t, busB, time.Minute)

	answer := waitAnswer(a.url + "/wait?topic=t1")
	wharftest.WaitFor(t, "the request to suspend on A", func() bool { return a.c.Stats().Suspended == 1 })
	if code := wake(t, b.url+"/wake?topic=t1"); code != 200 {
		t.Fatalf("wake on B answered %d", code)
	}
	if got := <-answer; got != "event for t1" {
		t.Fatalf("the request on A answered %q", got)
	}

	// The broker goes away: A's request can only expire.
	shortA := startInstance(t, connect(t, broker.URL, natsbus.Config{}), 300*time.Millisecond)
	broker.Stop()
	wharftest.WaitFor(t, "B to see the broker gone", func() bool { return !busB.Stats().Connected })
	answer = waitAnswer(shortA.url + "/wait?topic=t2")
	wharftest.WaitFor(t, "the request to suspend", func() bool { return shortA.c.Stats().Suspended == 1 })
	if code := wake(t, b.url+"/wake?topic=t2"); code != http.StatusServiceUnavailable {
		t.Fatalf("wake during the outage answered %d, want 503 (event lost)", code)
	}
	if got := <-answer; got != "expired" {
		t.Fatalf("the request during the outage answered %q, want expired", got)
	}
	if st := busB.Stats(); st.Lost != 1 {
		t.Fatalf("B's bus counted %d lost events, want 1", st.Lost)
	}
}
