package connector_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/owner"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// rawHello answers every request with a fixed small response, straight on
// the stream: the connector's own cost, without a container.
type rawHello struct {
	h    http.Header
	body []byte
}

func (r rawHello) ServeStream(s connector.Stream) {
	s.WriteHead(200, "", r.h, int64(len(r.body)), nil)
	s.WriteBody(r.body)
	s.Finish(nil)
}

func (rawHello) InvocationType() api.InvocationType { return api.NonBlocking }

// perRequestAllocs sends keep-alive GETs to addr and reports the heap
// allocations of one whole round trip (server and this raw client, which
// allocates nothing itself).
func perRequestAllocs(t *testing.T, addr, head string, runs int) float64 {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := []byte(head)
	buf := make([]byte, 4096)
	roundTrip := func() {
		if _, err := nc.Write(req); err != nil {
			t.Fatal(err)
		}
		n := 0
		for !bytes.HasSuffix(buf[:n], []byte("hello")) {
			m, err := nc.Read(buf[n:])
			if err != nil && err != io.EOF {
				t.Fatal(err)
			}
			if m == 0 {
				t.Fatalf("connection closed after %q", buf[:n])
			}
			n += m
		}
	}
	for range 100 { // warm the pools
		roundTrip()
	}
	return testing.AllocsPerRun(runs, roundTrip)
}

// curlHead is a typical GET.
const curlHead = "GET /hello HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"

// chromeHead is a GET with the names Chrome sends in lower case (its
// client hints) and the WebSocket handshake's, which are not canonical
// either.
const chromeHead = "GET /hello HTTP/1.1\r\nHost: localhost:8080\r\nsec-ch-ua: \"Chromium\";v=\"131\"\r\n" +
	"sec-ch-ua-mobile: ?0\r\nsec-ch-ua-platform: \"Linux\"\r\nSec-WebSocket-Version: 13\r\n\r\n"

// The allocations of a typical GET and its small response, the whole way
// through the epoll connector: none of the connector's own beyond what
// makes an immutable request (the stream, and the head's bytes with where
// its fields are in them, one allocation: api.NewHeaderText), and a
// handful in the container (the exchange with the request inside it, the
// response header). Field names a browser sends in another case than the
// canonical one cost nothing more: they are made canonical in the head's
// copy. On the portable connector, a request answered at once costs no
// more for the hang-up watch the container asks of every request.
func TestAllocsPerRequest(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	raw := rawHello{h: http.Header{"Content-Type": {"text/plain"}}, body: []byte("hello")}
	tests := []struct {
		name string
		h    connector.Handler
		head string
		max  float64
		// owner is what the async loop's ownership checks add, in tests
		// only: for each task, its goroutine's identity.
		owner float64
		runs  int // round trips measured
		// portable serves on the portable connector, whose hang-up watch
		// (hangupWatch) costs a request answered at once nothing more.
		portable bool
	}{
		{"connector", raw, curlHead, 2, 0, 2000, false},
		{"connector/browser-names", raw, chromeHead, 2, 0, 2000, false},
		{"container", helloContainer(), curlHead, 6, 2, 2000, false}, // and the exchange with its request inside, the response header (map, value)
		// A response whose only field is its type makes no header map.
		{"container/content-type", typedContainer(), curlHead, 3, 2, 2000, false},
		// A suspended request whose timeout expires it, answered by the
		// expired dispatch run on the selector: no more than the request
		// that answers at once but its re-dispatch's request (a copy with
		// the kind of dispatch). The Responses of its three tasks, the
		// timeout's work on the selector and the timer cost nothing.
		{"container/suspended", suspendContainer(), curlHead, 7, 5, 400, false}, // each waits its millisecond
		{"portable", raw, curlHead, 4, 0, 2000, true},
		{"portable/container", helloContainer(), curlHead, 8, 2, 2000, true}, // the container watches every request
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c, ok := tc.h.(*container.Container); ok {
				t.Cleanup(func() { c.Close() }) // after the server's, registered below
			}
			addr := serveServer(t, &connector.Server{Handler: tc.h, Config: connector.Config{Selectors: 1, Portable: tc.portable}})
			wantAllocs(t, perRequestAllocs(t, addr, tc.head, tc.runs), tc.max, tc.owner)
		})
	}
}

// wantAllocs fails t if got, a request's allocations, is above limit, plus
// ownerChecks in test binaries, whose ownership checks add that many.
func wantAllocs(t *testing.T, got, limit, ownerChecks float64) {
	t.Helper()
	if owner.Enabled() {
		limit += ownerChecks
	}
	t.Logf("%.2f allocations per request", got)
	if got > limit {
		t.Errorf("%.2f allocations per request, want at most %v", got, limit)
	}
}

// suspendContainer answers /hello as helloContainer does, after its
// request has been suspended for a millisecond, as examples/hello's /delay.
func suspendContainer() *container.Container {
	return helloHandler(func(w api.Response, r *api.Request) error {
		if k := continuation.Of(r); k.IsInitial() {
			k.SetTimeout(time.Millisecond)
			return k.Suspend()
		}
		w.Header().Set("Content-Type", "text/plain")
		return sayHello(w)
	})
}

// typedContainer is helloContainer's handler setting its type with
// api.SetContentType.
func typedContainer() *container.Container {
	return helloHandler(func(w api.Response, r *api.Request) error {
		api.SetContentType(w, "text/plain")
		return sayHello(w)
	})
}

func helloContainer() *container.Container {
	return helloHandler(func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/plain")
		return sayHello(w)
	})
}

// helloHandler is a container with h at /hello, declared NonBlocking.
func helloHandler(h api.HandlerFunc) *container.Container {
	c := container.New()
	c.Handle("/hello", api.NonBlockingFunc(h))
	return c
}

func sayHello(w api.Response) error {
	_, err := w.WriteString("hello")
	return err
}
