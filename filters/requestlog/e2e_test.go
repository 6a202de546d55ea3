package requestlog_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/requestlog"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// protoPrefix is how r.Proto() starts in each mode.
func protoPrefix(m modes.Mode) string {
	switch {
	case m.HTTP2():
		return "HTTP/2"
	case m == modes.H3:
		return "HTTP/3"
	}
	return "HTTP/1.1"
}

// app serves the outcomes the end-to-end tests log. The test expires
// /expire itself: the handler hands it its exchange.
type app struct {
	expiring chan *exchange.Exchange
}

func (a *app) build(c *container.Container) {
	c.HandleFunc("/plain", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	c.HandleFunc("/big", func(w api.Response, r *api.Request) error {
		// Larger than the output buffer: streamed, partly before the end.
		_, err := w.WriteString(strings.Repeat("0123456789", 10_000))
		return err
	})
	c.HandleFunc("/task", func(w api.Response, r *api.Request) error {
		ac, err := async.Start(r)
		if err != nil {
			return err
		}
		go ac.Dispatch(func(w api.Response) {
			w.SetStatus(http.StatusCreated)
			w.WriteString("from a task")
			ac.Complete()
		})
		return nil
	})
	c.HandleFunc("/expire", func(w api.Response, r *api.Request) error {
		ac, err := async.Start(r)
		if err != nil {
			return err
		}
		ac.SetTimeout(time.Hour)
		ac.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
			w.SetStatus(http.StatusGatewayTimeout)
			w.WriteString("timed out")
			ac.Complete()
		}})
		// A result written without Complete: the timeout's answer replaces it.
		ac.Dispatch(func(w api.Response) {
			w.WriteString("never sent")
			a.expiring <- exchange.From(r)
		})
		return nil
	})
	c.HandleFunc("/denied", func(w api.Response, r *api.Request) error {
		w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
		return api.Error(http.StatusUnauthorized, "")
	})
}

// slogFor makes a log recorder, stores it in *dst and returns its logger.
func slogFor(dst **wharftest.LogRecorder) *slog.Logger {
	logs, logger := wharftest.NewLogRecorder()
	*dst = logs
	return logger
}

// waitRecord waits for the record of method and path and checks it is the
// only one.
func waitRecord(t *testing.T, logs *wharftest.LogRecorder, method, path string) wharftest.Record {
	t.Helper()
	var found []wharftest.Record
	wharftest.WaitFor(t, "the record of "+method+" "+path, func() bool {
		found = found[:0]
		for _, rec := range logs.Records() {
			if rec.Attrs["path"].String() == path && rec.Attrs["method"].String() == method {
				found = append(found, rec)
			}
		}
		return len(found) > 0
	})
	if len(found) != 1 {
		t.Errorf("%d records for %s %s", len(found), method, path)
	}
	return found[0]
}

// TestEndToEnd proves, on every protocol, that each request gets one record
// with the status and the body length the client received, and how it
// ended.
func TestEndToEnd(t *testing.T) {
	a := &app{expiring: make(chan *exchange.Exchange, 1)}
	var logs *wharftest.LogRecorder
	build := func(c *container.Container) {
		c.Filter("/*", requestlog.New(requestlog.Config{Logger: slogFor(&logs)}))
		a.build(c)
	}
	tests := []struct {
		method, path string
		status       int
		end          string
		err          bool
	}{
		{"GET", "/plain", 200, "answered", false},
		{"HEAD", "/plain", 200, "answered", false},
		{"GET", "/big", 200, "answered", false},
		{"GET", "/task", 201, "answered", false},
		{"GET", "/expire", 504, "expired", false},
		{"GET", "/denied", 401, "answered", true},
		{"GET", "/nowhere", 404, "answered", true},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			got := make(chan *http.Response, 1)
			var body []byte
			go func() {
				req, _ := http.NewRequest(tt.method, s.URL+tt.path, nil)
				resp, err := s.Client.Do(req)
				if err != nil {
					t.Errorf("%s %s: %v", tt.method, tt.path, err)
					got <- nil
					return
				}
				body, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				got <- resp
			}()
			if tt.path == "/expire" {
				if err := (<-a.expiring).Expire(); err != nil {
					t.Errorf("Expire: %v", err)
				}
			}
			resp := <-got
			if resp == nil {
				continue
			}
			rec := waitRecord(t, logs, tt.method, tt.path)
			if resp.StatusCode != tt.status {
				t.Errorf("%s %s: client got %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			}
			want := map[string]any{"status": int64(resp.StatusCode), "bytes": int64(len(body)), "end": tt.end}
			for k, v := range want {
				if got := rec.Attrs[k].Any(); got != v {
					t.Errorf("%s %s: %s = %v, want %v", tt.method, tt.path, k, got, v)
				}
			}
			if _, has := rec.Attrs["error"]; has != tt.err {
				t.Errorf("%s %s: error attribute %v", tt.method, tt.path, rec.Attrs["error"])
			}
			if p := rec.Attrs["proto"].String(); !strings.HasPrefix(p, protoPrefix(s.Mode)) {
				t.Errorf("%s %s: proto %q", tt.method, tt.path, p)
			}
		}
	})
}

// TestClientGoneWhileSuspended: where the connector notices a client that
// leaves while its request is suspended (the epoll connector, HTTP/2), the
// request's record says client_gone, with no status: no head was sent.
func TestClientGoneWhileSuspended(t *testing.T) {
	ms := []modes.Mode{modes.H2C}
	if runtime.GOOS == "linux" {
		ms = append(ms, modes.H1) // epoll
	}
	for _, m := range ms {
		t.Run(string(m), func(t *testing.T) {
			var logs *wharftest.LogRecorder
			c := container.New(modes.Options(m)...)
			c.Filter("/*", requestlog.New(requestlog.Config{Logger: slogFor(&logs)}))
			c.HandleFunc("/hang", func(w api.Response, r *api.Request) error {
				cont := continuation.Of(r)
				cont.SetTimeout(time.Hour) // only the client leaving ends it
				return cont.Suspend()
			})
			s := modes.Start(t, m, c)
			var leave func()
			if m.HTTP1() {
				nc := s.DialHTTP1(t)
				defer nc.Close()
				if _, err := io.WriteString(nc, "GET /hang HTTP/1.1\r\nHost: wharf\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				leave = func() { nc.Close() }
			} else {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/hang", nil)
				done := make(chan struct{})
				go func() {
					defer close(done)
					if resp, err := s.Client.Do(req); err == nil {
						resp.Body.Close()
					}
				}()
				leave = func() { cancel(); <-done }
			}
			wharftest.WaitFor(t, "the request to suspend", func() bool { return s.Container.Stats().Suspended == 1 })
			leave()
			rec := waitRecord(t, logs, "GET", "/hang")
			if rec.Attrs["end"].String() != "client_gone" || rec.Attrs["status"].Int64() != 0 || rec.Attrs["bytes"].Int64() != 0 {
				t.Errorf("record %v", rec.Attrs)
			}
			if !strings.Contains(rec.Attrs["error"].String(), "client") {
				t.Errorf("error %v", rec.Attrs["error"])
			}
		})
	}
}

// combinedLine parses an NCSA combined log line.
var combinedLine = regexp.MustCompile(`^(\S+) - - \[(\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] ` +
	`"(\S+) (\S+) (\S+)" (\d{3}|-) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"\n$`)

// lines is a Writer that keeps each Write as one line and fails the test if
// two Writes overlap.
type lines struct {
	t       *testing.T
	writing atomic.Int32
	mu      sync.Mutex
	got     []string
}

func (l *lines) Write(p []byte) (int, error) {
	if l.writing.Add(1) != 1 {
		l.t.Error("two Writes at once")
	}
	defer l.writing.Add(-1)
	l.mu.Lock()
	l.got = append(l.got, string(p))
	l.mu.Unlock()
	return len(p), nil
}

func (l *lines) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

// TestCombinedEndToEnd: on every protocol, concurrent requests give one
// combined line each, written whole by one Write, which parses.
func TestCombinedEndToEnd(t *testing.T) {
	var out *lines
	build := func(c *container.Container) {
		out = &lines{t: t}
		c.Filter("/*", requestlog.New(requestlog.Config{Format: requestlog.FormatCombined, Writer: out}))
		c.HandleFunc("/n/{n}", func(w api.Response, r *api.Request) error {
			n, _ := strconv.Atoi(r.PathParam("n"))
			_, err := w.WriteString(strings.Repeat("x", n))
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		const n = 20
		before := time.Now().Add(-time.Second)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/n/%d?q=%d", s.URL, i, i), nil)
				req.Header.Set("User-Agent", `tester "quoted"`)
				req.Header.Set("Referer", "http://example.com/")
				resp, err := s.Client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
		wg.Wait()
		wharftest.WaitFor(t, "every line", func() bool { return len(out.snapshot()) == n })
		seen := map[string]bool{}
		for _, line := range out.snapshot() {
			m := combinedLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("line %q does not parse", line)
				continue
			}
			host, when, method, target, proto, status, bytes, referer, ua := m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9]
			var i int
			if _, err := fmt.Sscanf(target, "/n/%d?q=", &i); err != nil || seen[target] {
				t.Errorf("target %q", target)
			}
			seen[target] = true
			wantBytes := strconv.Itoa(i)
			if i == 0 {
				wantBytes = "-"
			}
			tm, err := time.Parse("02/Jan/2006:15:04:05 -0700", when)
			if host != "127.0.0.1" || err != nil || tm.Before(before) || tm.After(time.Now()) || method != "GET" ||
				!strings.HasPrefix(proto, protoPrefix(s.Mode)) || status != "200" || bytes != wantBytes ||
				referer != "http://example.com/" || ua != `tester \"quoted\"` {
				t.Errorf("line %q", line)
			}
		}
	})
}

// TestCombinedLine is the line for requests without a container, with a
// fixed clock: escapes, and "-" for what is missing.
func TestCombinedLine(t *testing.T) {
	start := time.Date(2026, time.March, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		name    string
		req     *api.Request
		handler api.HandlerFunc
		want    string
	}{
		{
			name: "ok",
			req:  wharftest.Request("GET", "/a?b=c", "Referer", "http://r/", "User-Agent", "ua/1"),
			handler: func(w api.Response, r *api.Request) error {
				_, err := w.WriteString("12345")
				return err
			},
			want: `192.0.2.1 - - [04/Mar/2026:05:06:07 +0000] "GET /a?b=c HTTP/1.1" 200 5 "http://r/" "ua/1"` + "\n",
		},
		{
			name:    "empty and escaped",
			req:     wharftest.Request("POST", "/x", "User-Agent", "a\"b\\c\x01é"),
			handler: func(w api.Response, r *api.Request) error { return api.Error(403, "") },
			want:    `192.0.2.1 - - [04/Mar/2026:05:06:07 +0000] "POST /x HTTP/1.1" 403 - "-" "a\"b\\c\x01\xc3\xa9"` + "\n",
		},
		{
			// A Unix socket's peer is the name it bound, any bytes: it
			// stays one field of one line, not a line of its own making.
			name: "unix peer's name escaped",
			req: func() *api.Request {
				h := wharftest.Head("GET", "/x")
				h.Conn = &api.ConnInfo{RemoteAddr: "@p 1\n\"6.6.6.6", LocalAddr: "/run/app.sock"}
				return api.NewRequest(context.Background(), h, nil)
			}(),
			handler: func(w api.Response, r *api.Request) error { return nil },
			want:    `@p\x201\x0a\"6.6.6.6 - - [04/Mar/2026:05:06:07 +0000] "GET /x HTTP/1.1" 200 - "-" "-"` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &lines{t: t}
			f := requestlog.New(requestlog.Config{Format: requestlog.FormatCombined, Writer: out,
				Now: func() time.Time { return start }})
			api.Compose(tt.handler, f).Serve(wharftest.NewRecorder(), tt.req)
			if got := out.snapshot(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
			if !combinedLine.MatchString(tt.want) {
				t.Errorf("the regexp does not parse %q", tt.want)
			}
		})
	}
}
